// The engine's one error type.
//
// Engine calls validate everything before they change anything and throw reco::Error with
// a message that is fit to send to a client as-is (the glue prefixes "ERR "). A failed call
// leaves the object as it was.
#pragma once

#include <stdexcept>
#include <string>

namespace reco {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace reco
