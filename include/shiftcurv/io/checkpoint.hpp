// shiftcurv/io/checkpoint.hpp — bytes in and out of the library's partial results (for MPI
// messages and checkpoints), and checkpoint files that are written atomically and refuse to be
// resumed by a different program, configuration or format version.
//
//   shiftcurv::byte_writer w;  w(accumulator);            // anything with serialize(Archive&)
//   shiftcurv::byte_reader r(w.bytes(), "my_program");  r(copy);   // copy == accumulator
//
//   shiftcurv::checkpoint c{"langevin_ensemble/1", "particles=1000\nseed=3\n", payload};
//   shiftcurv::write_checkpoint("run.ckpt", c);           // write-then-rename: never half a file
//   auto back = shiftcurv::read_checkpoint("run.ckpt", "langevin_ensemble/1", config);
//
// Archives: byte_writer / byte_reader visit values with operator()(a, b, …): arithmetic types
// and enums (their bytes), std::string, std::vector of those, and any type with a member
// `template <class Archive> void serialize(Archive&)` (the observers, the ensembles' partial
// sums).  A reader that runs out of bytes or meets an impossible length throws
// shiftcurv::invalid_argument naming the caller.  Bytes are the machine's own (no endianness
// conversion): a checkpoint or a message is read on the kind of machine that wrote it.
//
// Checkpoint file: the line "shiftcurv-checkpoint\n", then the format version (u32), the kind
// (program and its payload version, e.g. "langevin_ensemble/1"), the configuration (text: one
// `key=value` line per option that affects the result), the payload, and an FNV-1a 64-bit
// checksum of everything before it.  read_checkpoint throws shiftcurv::invalid_argument
// ("shiftcurv::read_checkpoint: 'run.ckpt' ...") for a file that is not a checkpoint, is
// truncated or corrupt (checksum), has another format version or kind, or another
// configuration (the first differing line is named); io_error if it cannot be read.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/io/csv.hpp"

namespace shiftcurv {

class byte_writer;
class byte_reader;

namespace detail {
template <class T, class A>
concept serializable_with = requires(T& t, A& a) { t.serialize(a); };
}  // namespace detail

/// Appends the bytes of the values it is called with (see the header comment).
class byte_writer {
 public:
  template <class... Ts>
  byte_writer& operator()(const Ts&... values) {
    (put(values), ...);
    return *this;
  }
  const std::string& bytes() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  template <class T>
  void put(const T& v) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
    } else if constexpr (std::is_same_v<T, std::string>) {
      put(static_cast<std::uint64_t>(v.size()));
      buf_.append(v);
    } else if constexpr (detail::serializable_with<T, byte_writer>) {
      const_cast<T&>(v).serialize(*this);  // serialize() only reads when given a writer
    } else {
      put_vector(v);
    }
  }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    put(static_cast<std::uint64_t>(v.size()));
    if constexpr (std::is_arithmetic_v<T>) {
      if (!v.empty()) buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    } else {
      for (const auto& x : v) put(x);
    }
  }
  std::string buf_;
};

/// Reads values back in the order they were written; throws invalid_argument (naming `fn`)
/// when the bytes run out or a length is impossible.
class byte_reader {
 public:
  byte_reader(std::string_view bytes, std::string_view fn) : data_(bytes), fn_(fn) {}
  template <class... Ts>
  byte_reader& operator()(Ts&... values) {
    (get(values), ...);
    return *this;
  }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }
  /// Throws unless every byte was read.
  void expect_end() const {
    if (!done()) detail::throw_invalid(fn_, "the data has ", remaining(), " unexpected trailing bytes");
  }

 private:
  void need(std::size_t n) const {
    if (n > remaining()) detail::throw_invalid(fn_, "the data is truncated (", remaining(), " bytes left, ", n, " needed)");
  }
  template <class T>
  void get(T& v) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      need(sizeof(T));
      std::memcpy(&v, data_.data() + pos_, sizeof(T));
      pos_ += sizeof(T);
    } else if constexpr (std::is_same_v<T, std::string>) {
      std::uint64_t n = 0;
      get(n);
      need(n);
      v.assign(data_.data() + pos_, static_cast<std::size_t>(n));
      pos_ += n;
    } else if constexpr (detail::serializable_with<T, byte_reader>) {
      v.serialize(*this);
    } else {
      get_vector(v);
    }
  }
  template <class T>
  void get_vector(std::vector<T>& v) {
    std::uint64_t n = 0;
    get(n);
    // Every element takes at least one byte: a larger count is corrupt (and no huge allocation).
    if (n > remaining()) detail::throw_invalid(fn_, "the data is corrupt (a length of ", n, " with ", remaining(), " bytes left)");
    v.resize(n);
    if constexpr (std::is_arithmetic_v<T>) {
      need(n * sizeof(T));
      if (n > 0) std::memcpy(v.data(), data_.data() + pos_, n * sizeof(T));
      pos_ += n * sizeof(T);
    } else {
      for (auto& x : v) get(x);
    }
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string fn_;
};

/// The bytes of one value (a partial sum, an observer).
template <class T>
std::string to_bytes(const T& value) {
  byte_writer w;
  w(value);
  return w.take();
}

/// Reads `value` back from to_bytes' output; throws invalid_argument (naming `fn`) on bytes
/// that do not hold exactly one such value.
template <class T>
void from_bytes(std::string_view bytes, T& value, std::string_view fn = "from_bytes") {
  byte_reader r(bytes, fn);
  r(value);
  r.expect_end();
}

/// What a checkpoint holds (see the header comment).
struct checkpoint {
  std::string kind;     ///< program and payload version, e.g. "langevin_ensemble/1"
  std::string config;   ///< one key=value line per option that affects the result
  std::string payload;  ///< the program's state
};

/// Version of the checkpoint file layout (not of a program's payload: that is in `kind`).
/// 2: the checksum is FNV-1a 64 as published (version 1 used an offset basis with a digit
/// missing, 1469598103934665603 for 14695981039346656037); a version-1 file is refused by name.
inline constexpr std::uint32_t checkpoint_format_version = 2;

namespace detail {
inline constexpr std::string_view checkpoint_magic = "shiftcurv-checkpoint\n";

/// FNV-1a, 64 bit (Fowler, Noll & Vo): offset basis 14695981039346656037, prime 2^40 + 2^8 + 0xb3.
inline std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

/// The first line where two configurations differ, as "key: 'a' vs 'b'".
inline std::string first_difference(const std::string& have, const std::string& want) {
  auto lines = [](const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  const auto a = lines(have), b = lines(want);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "(nothing)", y = i < b.size() ? b[i] : "(nothing)";
    if (x != y) return "the checkpoint has '" + x + "', this run has '" + y + "'";
  }
  return "the configurations differ";
}
}  // namespace detail

/// Writes the checkpoint to `path` atomically (a temporary next to it, then rename): a reader
/// sees the previous checkpoint or the complete new one.  Throws io_error.
inline void write_checkpoint(const std::filesystem::path& path, const checkpoint& c) {
  byte_writer w;
  w(checkpoint_format_version, c.kind, c.config, c.payload);
  std::string text(detail::checkpoint_magic);
  text += w.bytes();
  const std::uint64_t sum = detail::fnv1a64(text);
  text.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  detail::write_file_atomically("write_checkpoint", path, text);
}

/// Reads and checks a checkpoint written by write_checkpoint for `kind` and `config` (see the
/// header comment for the errors).
inline checkpoint read_checkpoint(const std::filesystem::path& path, std::string_view kind, const std::string& config) {
  constexpr const char* fn = "read_checkpoint";
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::throw_io(fn, "cannot open '" + path.string() + "'", errno);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) detail::throw_io(fn, "cannot read '" + path.string() + "'", errno);
  const std::string shown = "'" + path.string() + "'";
  if (text.compare(0, detail::checkpoint_magic.size(), detail::checkpoint_magic) != 0)
    detail::throw_invalid(fn, shown, " is not a shiftcurv checkpoint");
  if (text.size() < detail::checkpoint_magic.size() + sizeof(std::uint64_t))
    detail::throw_invalid(fn, shown, " is corrupt (truncated)");
  const std::string_view body(text.data(), text.size() - sizeof(std::uint64_t));
  byte_reader r(body.substr(detail::checkpoint_magic.size()), std::string(fn) + ": " + shown);
  // The version first: another layout (an older build's) is named as such, not as damage.
  std::uint32_t version = 0;
  r(version);
  if (version != checkpoint_format_version)
    detail::throw_invalid(fn, shown, " has checkpoint format version ", version, "; this build reads version ",
                          checkpoint_format_version);
  std::uint64_t sum = 0;
  std::memcpy(&sum, text.data() + body.size(), sizeof sum);
  if (sum != detail::fnv1a64(body)) detail::throw_invalid(fn, shown, " is corrupt (checksum mismatch: truncated or damaged)");
  checkpoint c;
  r(c.kind, c.config, c.payload);
  r.expect_end();
  if (c.kind != kind)
    detail::throw_invalid(fn, shown, " was written by '", c.kind, "', not by '", kind, "' (another program or version)");
  if (c.config != config)
    detail::throw_invalid(fn, shown, " was written by a different configuration: ", detail::first_difference(c.config, config));
  return c;
}

}  // namespace shiftcurv
