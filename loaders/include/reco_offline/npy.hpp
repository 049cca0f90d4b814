// NumPy .npy files (format versions 1-3), the format numpy.save/np.load, PyTorch
// and most training code already speak. Matrices are read as float32 whatever
// float type or byte order they were saved with (C or Fortran order); id arrays
// as strings whether saved as integers, bytes (|S) or unicode (<U).
// Written files are version 1.0, '<f4', C order, header padded to 64 bytes.
#pragma once

#include <string>
#include <vector>

#include "reco_offline/mf_trainer.hpp"

namespace reco_offline {

void write_npy(const std::string& path, const FactorMatrix& matrix);
FactorMatrix read_npy_matrix(const std::string& path);

// 1-D array of integers or strings, returned as text.
std::vector<std::string> read_npy_ids(const std::string& path);
// Writes ids as a 1-D '<i8' array when all are canonical integers, else as
// raw bytes ('|S<n>'), which is exact for any id.
void write_npy_ids(const std::string& path, const std::vector<std::string>& ids);

}  // namespace reco_offline
