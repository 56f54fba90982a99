// Where fuzz targets put the files their parsers read by path: a private temporary directory with
// a small data directory standing in for the real one. Dataset names then resolve to files a
// target can replace, and the datasets a study config names load in microseconds.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace claw::fuzz {

class Workspace {
 public:
  // The process's workspace, made on first use (after which data_dir() is the stand-in) and
  // removed at exit.
  static Workspace& get();

  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();

  // Writes `bytes` to `relative` under the workspace, creating directories, and returns its path.
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view bytes) const;

  // The real data directory, as found before the stand-in replaced it.
  const std::filesystem::path& real_data() const { return real_data_; }

  // The stand-in's copy of a data file: a crop of the real one.
  const std::string& stand_in(const std::string& relative) const;

 private:
  Workspace();
  void add_stand_in(const std::string& relative, std::string contents);

  std::filesystem::path root_;
  std::filesystem::path real_data_;
  std::map<std::string, std::string> stand_ins_;
};

// Puts `bytes` in place of one stand-in data file until destroyed, then restores the crop, so
// that one target's input never leaks into the next one's data.
class ReplacedDataFile {
 public:
  ReplacedDataFile(const std::string& relative, std::string_view bytes);
  ~ReplacedDataFile();
  ReplacedDataFile(const ReplacedDataFile&) = delete;
  ReplacedDataFile& operator=(const ReplacedDataFile&) = delete;

 private:
  std::string relative_;
};

// The first `count` lines of `text`, each with its newline.
std::string first_lines(std::string_view text, std::size_t count);

// The longest prefix of `text` of at most `size` bytes that ends at a UTF-8 character boundary.
std::string_view utf8_prefix(std::string_view text, std::size_t size);

}  // namespace claw::fuzz
