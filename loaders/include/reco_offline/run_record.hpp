// A run record: what a trainer ran, on which data, with which settings and results, kept
// next to what it wrote (and inside a model file, under __metadata__ "reco.run"), so that a
// served model or a set of vectors can be traced back to its run and compared with others.
//
// Shape (a JSON object): "tool", "version" (the project's), "command" (argv as given),
// "inputs" ([{"file", "bytes", "xxh3"}] of every data file the run read, in order),
// "data_digest" (XXH3-64 over the inputs' digests: equal exactly when the inputs are), then
// whatever the trainer adds (its parameters, "per_epoch" metrics, final metrics), and
// "evaluations": one entry per later measurement of the outputs (reco-eval --record).
// No timestamps: two runs of the same command on the same data write the same record.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace reco_offline {

// XXH3-64 of a file's bytes, as 16 hex digits. Throws std::runtime_error if unreadable.
std::string file_xxh3(const std::filesystem::path& file);

nlohmann::json run_record(const std::string& tool, int argc, char** argv,
                          const std::vector<std::filesystem::path>& inputs);

// Appends `evaluation` to the record file's "evaluations" (written to a temporary file and
// renamed over it). Throws std::runtime_error if the file is missing or not a JSON object.
void append_evaluation(const std::filesystem::path& record, const nlohmann::json& evaluation);

}  // namespace reco_offline
