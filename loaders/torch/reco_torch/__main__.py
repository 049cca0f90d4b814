# Command line of reco_torch: a trained PyTorch model to a reco model file, or onto a catalog.
#
#   reco-torch export CHECKPOINT.pt [-o FILE] [--put CATALOG VERSION [--activate]]
#   reco-torch torchfm STATE_DICT.pt META.json [-o FILE] [--put CATALOG VERSION [--activate]]
#
# CHECKPOINT is what reco_torch.save writes (the config and the state_dict of a RecoFM);
# STATE_DICT a torchfm-style state_dict with its feature metadata (see torchfm_import.py).
# --put sends the file with RECO.MODEL.PUT (python3-redis), so one command takes a trained
# model to a catalog; the server validates it and its refusal, if any, is printed as is.
import argparse
import hashlib
import json
import os
import sys

from .export import connect, export_bytes, put
from .model import load
from .torchfm_import import import_torchfm


def run_record(argv, inputs) -> str:
    """The run record put under __metadata__ "reco.run" (see the README's Run records):
    the command and a digest of every input file (SHA-256 here; the C++ tools use XXH3)."""
    files, digest = [], hashlib.sha256()
    for path in inputs:
        with open(path, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        files.append({"file": os.path.basename(path), "bytes": os.path.getsize(path), "sha256": h})
        digest.update(h.encode())
    return json.dumps({"tool": "reco-torch", "command": ["reco-torch"] + list(argv), "inputs": files,
                       "data_digest": digest.hexdigest()[:16]}, sort_keys=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="reco-torch",
                                description="PyTorch models to reco model files and catalogs")
    sub = p.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="a reco_torch checkpoint (reco_torch.save)")
    ex.add_argument("checkpoint")
    tf = sub.add_parser("torchfm", help="a torchfm-style state_dict and its feature metadata")
    tf.add_argument("state_dict")
    tf.add_argument("meta", help="metadata JSON: the fields' raw values (torchfm_import.py)")
    for s in (ex, tf):
        s.add_argument("-o", "--out", help="write the model file here")
        s.add_argument("--put", nargs=2, metavar=("CATALOG", "VERSION"),
                       help="RECO.MODEL.PUT the file on this catalog under this version")
        s.add_argument("--activate", action="store_true", help="with --put: ACTIVATE it too")
        s.add_argument("--url", default="redis://localhost:6379", help="server (redis://host:port)")
        s.add_argument("--socket", help="server's unix socket (instead of --url)")
        s.add_argument("--trust-pickle", action="store_true",
                       help="load a .pt file that holds more than tensors (it can run code)")
    a = p.parse_args(argv)
    if not a.out and not a.put:
        p.error("nothing to do: give -o FILE and/or --put CATALOG VERSION")
    if a.activate and not a.put:
        p.error("--activate needs --put")
    try:
        if a.cmd == "export":
            model = load(a.checkpoint, a.trust_pickle)
            inputs = [a.checkpoint]
        else:
            model = import_torchfm(a.state_dict, a.meta, a.trust_pickle)
            inputs = [a.state_dict, a.meta]
        data = export_bytes(model, {"reco.run": run_record(sys.argv[1:] if argv is None else argv, inputs)})
    except (ValueError, KeyError, OSError) as e:
        print(f"reco-torch: {e}", file=sys.stderr)
        return 1
    if a.out:
        with open(a.out + ".tmp", "wb") as f:
            f.write(data)
        os.replace(a.out + ".tmp", a.out)
        print(f"wrote {a.out} ({len(data)} bytes, {len(model.fields)} fields)")
    if a.put:
        import redis
        try:
            client = connect(a.url, a.socket)
            put(client, a.put[0], a.put[1], data, a.activate)
        except redis.RedisError as e:
            print(f"reco-torch: {e}", file=sys.stderr)
            return 1
        print(f"put {a.put[0]} {a.put[1]}{' (active)' if a.activate else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
