// Replays fuzz inputs through one target without libFuzzer: ctest runs
// every corpus file and every crash found so far through each target,
// built with the normal compiler, as a quick regression test.
//
//   retrain-fuzz-replay-TARGET DIR_OR_FILE ...

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    std::vector<fs::path> files;
    if (fs::is_directory(arg)) {
      // Dot files (.gitkeep of an empty crash directory) are no inputs.
      for (auto& entry : fs::directory_iterator{arg})
        if (entry.is_regular_file()
            && entry.path().filename().string().rfind('.', 0) != 0)
          files.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
      std::ifstream in{file, std::ios::binary};
      std::vector<uint8_t> bytes{std::istreambuf_iterator<char>{in},
                                 std::istreambuf_iterator<char>{}};
      // Named first, so that the file of a crash is the last line printed.
      std::printf("%s (%zu bytes)\n", file.c_str(), bytes.size());
      std::fflush(stdout);
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++replayed;
    }
  }
  std::printf("%zu inputs replayed\n", replayed);
  // No input at all means a wrong path, not a pass.
  return replayed > 0 ? 0 : 1;
}
