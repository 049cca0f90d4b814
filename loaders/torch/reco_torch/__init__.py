# reco_torch: reco's ranking model family in PyTorch, its export to reco's model file, and the
# import of a torchfm-style model (the original pipeline's layout).
#
# The package needs Debian's python3-torch and python3-numpy (python3-redis to put a model on
# a catalog); it holds no C++ and calls no part of the engine, so the model file is the only
# contract between the two: what the engine scores is what RecoFM.forward computes.
from .fields import Field, encode, parse_dense
from .model import RecoFM, save, load
from .export import export_bytes, export_file, fold_mlp, model_file_bytes, read_model_file, connect, put, score
from .torchfm_import import import_torchfm, raw_to_torchfm

__all__ = ["Field", "encode", "parse_dense", "RecoFM", "save", "load", "export_bytes",
           "export_file", "fold_mlp", "model_file_bytes", "read_model_file", "connect", "put", "score",
           "import_torchfm", "raw_to_torchfm"]
