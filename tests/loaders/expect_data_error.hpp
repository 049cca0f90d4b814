// Asserts that a reader or writer refuses its input with a DataError whose message
// names the problem (a file, a line, a field): the error text is part of the contract.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "reco_offline/text_input.hpp"

namespace reco_offline::test {

template <class F>
void expect_error(F f, const std::string& fragment) {
  try {
    f();
    FAIL() << "expected a DataError containing " << fragment;
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace reco_offline::test
