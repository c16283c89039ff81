// io/checkpoint.hpp: byte archives and checkpoint files.  The references are independent of the
// library: the file layout of the header comment written byte by byte here, and FNV-1a 64 from
// its published constants (checked against the reference test vectors of Fowler, Noll and Vo).
// Every malformed file is resealed with a valid checksum, so the check that fails is the one
// that reads the contents, not the checksum.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "shiftcurv/io/checkpoint.hpp"

namespace sc = shiftcurv;
namespace fs = std::filesystem;

namespace checkpoint_test {

// FNV-1a, 64 bit: offset basis 14695981039346656037, prime 2^40 + 2^8 + 0xb3.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

template <class T>
std::string raw(const T& v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}
std::string raw_string(const std::string& s) { return raw(static_cast<std::uint64_t>(s.size())) + s; }

// A checkpoint file as the header describes it: magic, u32 version, kind, config, payload,
// then the checksum of all that — with `body` (everything after the magic) given explicitly.
std::string sealed(const std::string& body) {
  std::string text = "shiftcurv-checkpoint\n" + body;
  return text + raw(fnv1a(text));
}
std::string body_of(std::uint32_t version, const std::string& kind, const std::string& config,
                    const std::string& payload) {
  return raw(version) + raw_string(kind) + raw_string(config) + raw_string(payload);
}

struct scratch {
  fs::path dir;
  scratch() {
    dir = fs::temp_directory_path() / ("shiftcurv_checkpoint_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, ec);
    fs::remove_all(dir, ec);
  }
  fs::path file(const std::string& name, const std::string& bytes) const {
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct partial_sum {
  std::int64_t n = 0;
  double total = 0;
  std::vector<double> values;
  std::string label;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(n, total, values, label);
  }
  bool operator==(const partial_sum&) const = default;
};

enum class colour : std::uint16_t { red = 3, green = 7 };

TEST_CASE("FNV-1a 64 reference vectors (the test's own checksum)") {
  CHECK(fnv1a("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a("foobar") == 0x85944171f73967e8ULL);
  // The library's checksum is the same function (format version 1 had a wrong offset basis).
  for (const char* x : {"", "a", "foobar"}) CHECK(sc::detail::fnv1a64(x) == fnv1a(x));
}

TEST_CASE("byte archives: round trips of numbers, enums, strings, vectors and serializable structs") {
  const partial_sum a{42, -1.5e300, {0.0, -0.0, 1e-310, 3.25}, "with, comma\nand newline"};
  partial_sum b;
  sc::from_bytes(sc::to_bytes(a), b);
  CHECK(b == a);
  CHECK(std::signbit(b.values[1]));

  const std::vector<std::string> texts{"", "x", std::string(1000, 'y')};
  std::vector<std::string> texts_back;
  sc::from_bytes(sc::to_bytes(texts), texts_back);
  CHECK(texts_back == texts);

  // The layout is the machine's bytes, lengths as u64: written by hand here.
  CHECK(sc::to_bytes(std::string("ab")) == raw(std::uint64_t{2}) + "ab");
  CHECK(sc::to_bytes(colour::green) == raw(colour::green));
  const std::vector<partial_sum> many{a, partial_sum{}, a};
  std::vector<partial_sum> many_back;
  sc::from_bytes(sc::to_bytes(many), many_back);
  CHECK(many_back == many);
}

TEST_CASE("byte archives: truncated data, trailing bytes and impossible lengths throw naming the caller") {
  const std::string bytes = sc::to_bytes(partial_sum{7, 2.0, {1, 2, 3}, "abc"});
  partial_sum out;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    CAPTURE(cut);
    CHECK_THROWS_WITH_AS(sc::from_bytes(bytes.substr(0, cut), out, "my_reader"),
                         doctest::Contains("shiftcurv::my_reader:"), sc::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(sc::from_bytes(bytes + "z", out, "my_reader"), doctest::Contains("1 unexpected trailing bytes"),
                       sc::invalid_argument);
  // A vector claiming 2^40 elements in a 16-byte message: refused before any allocation.
  std::vector<double> v;
  CHECK_THROWS_WITH_AS(sc::from_bytes(raw(std::uint64_t{1} << 40) + std::string(8, '\0'), v, "my_reader"),
                       doctest::Contains("corrupt"), sc::invalid_argument);
  std::string s;
  CHECK_THROWS_WITH_AS(sc::from_bytes(raw(std::uint64_t{100}) + "short", s, "my_reader"),
                       doctest::Contains("truncated"), sc::invalid_argument);
}

TEST_CASE("checkpoint files: the layout of the header comment, and a round trip") {
  scratch tmp;
  const sc::checkpoint c{"prog/2", "seed=3\nT=0.5\n", sc::to_bytes(partial_sum{5, 1.0, {2.0}, "p"})};
  const fs::path path = tmp.dir / "run.ckpt";
  sc::write_checkpoint(path, c);
  CHECK(slurp(path) == sealed(body_of(sc::checkpoint_format_version, c.kind, c.config, c.payload)));
  const auto back = sc::read_checkpoint(path, "prog/2", c.config);
  CHECK(back.kind == c.kind);
  CHECK(back.config == c.config);
  CHECK(back.payload == c.payload);
  // Overwriting is atomic and leaves no temporary behind.
  sc::write_checkpoint(path, {c.kind, c.config, "new"});
  CHECK(sc::read_checkpoint(path, "prog/2", c.config).payload == "new");
  CHECK(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);
}

TEST_CASE("checkpoint files: empty, foreign, truncated and damaged files are refused, naming the file") {
  scratch tmp;
  const std::string good = sealed(body_of(sc::checkpoint_format_version, "prog/1", "a=1\n", "payload"));
  auto refused = [&](const fs::path& p, const std::string& why) {
    CAPTURE(why);
    CHECK_THROWS_WITH_AS(sc::read_checkpoint(p, "prog/1", "a=1\n"),
                         doctest::Contains(("shiftcurv::read_checkpoint: '" + p.string() + "'").c_str()), sc::invalid_argument);
    CHECK_THROWS_WITH_AS(sc::read_checkpoint(p, "prog/1", "a=1\n"), doctest::Contains(why.c_str()), sc::invalid_argument);
  };
  refused(tmp.file("empty", ""), "is not a shiftcurv checkpoint");
  refused(tmp.file("csv", "T,loss\n0.1,2\n"), "is not a shiftcurv checkpoint");
  refused(tmp.file("magic_only", "shiftcurv-checkpoint\n"), "truncated");
  for (std::size_t cut : {good.size() - 1, good.size() - 8, good.size() / 2}) refused(tmp.file("cut", good.substr(0, cut)), "corrupt");
  std::string flipped = good;
  flipped[30] ^= 0x01;
  refused(tmp.file("flipped", flipped), "checksum mismatch");
  CHECK_THROWS_AS(sc::read_checkpoint(tmp.dir / "missing.ckpt", "prog/1", "a=1\n"), sc::io_error);
}

TEST_CASE("checkpoint files: resealed files with malformed contents are refused by the reader") {
  scratch tmp;
  const std::string kind = "prog/1", config = "a=1\n";
  auto refused = [&](const std::string& name, const std::string& body, const std::string& why) {
    CAPTURE(name);
    const fs::path p = tmp.file(name, sealed(body));
    CHECK_THROWS_WITH_AS(sc::read_checkpoint(p, kind, config), doctest::Contains(why.c_str()), sc::invalid_argument);
  };
  const std::string body = body_of(sc::checkpoint_format_version, kind, config, "payload");
  refused("trailing", body + "x", "unexpected trailing bytes");
  refused("short_payload", body.substr(0, body.size() - 3), "truncated");
  // The payload's length says 2^50 bytes.
  refused("huge_length",
          raw(sc::checkpoint_format_version) + raw_string(kind) + raw_string(config) + raw(std::uint64_t{1} << 50) + "p",
          "truncated");
  refused("version", body_of(sc::checkpoint_format_version + 1, kind, config, "payload"), "format version");
  // An older build's file (format version 1, whose checksum used another offset basis) is
  // refused by its version, not as damage.
  CHECK_THROWS_WITH_AS(sc::read_checkpoint(tmp.file("v1", "shiftcurv-checkpoint\n" + body_of(1, kind, config, "p") +
                                                               std::string(8, '\x5a')),
                                           kind, config),
                       doctest::Contains("has checkpoint format version 1; this build reads version 2"),
                       sc::invalid_argument);
  refused("kind", body_of(sc::checkpoint_format_version, "other/1", config, "payload"), "was written by 'other/1'");
  refused("config", body_of(sc::checkpoint_format_version, kind, "a=2\n", "payload"),
          "the checkpoint has 'a=2', this run has 'a=1'");
  refused("config_longer", body_of(sc::checkpoint_format_version, kind, "a=1\nb=2\n", "payload"),
          "the checkpoint has 'b=2', this run has '(nothing)'");
}

TEST_CASE("checkpoint files: an unwritable place is an io_error and leaves nothing behind") {
  scratch tmp;
  const sc::checkpoint c{"prog/1", "", "x"};
  CHECK_THROWS_WITH_AS(sc::write_checkpoint(tmp.dir / "no" / "such" / "dir.ckpt", c),
                       doctest::Contains("shiftcurv::write_checkpoint:"), sc::io_error);
  if (::geteuid() != 0) {  // root writes into a read-only directory anyway
    const fs::path ro = tmp.dir / "ro";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_AS(sc::write_checkpoint(ro / "x.ckpt", c), sc::io_error);
    CHECK(fs::is_empty(ro));
  }
  // A directory in the checkpoint's place: the rename fails, the temporary is removed.
  fs::create_directories(tmp.dir / "adir");
  CHECK_THROWS_AS(sc::write_checkpoint(tmp.dir / "adir", c), sc::io_error);
  CHECK(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);
}

}  // namespace checkpoint_test
