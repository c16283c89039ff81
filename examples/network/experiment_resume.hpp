// examples/network/experiment_resume.hpp — CSV tables that survive an interrupted run.
//
//   cli::resumable_table t(dir, {"fig2_temperature", {"T", "seed", ...}, /*key_columns=*/2}, config);
//   if (!t.has_key(key)) t.append({{T, seed, ...}});   // appended and flushed at once
//   t.finish();                                        // DIR/fig2_temperature.csv
//
// File layout: line 1 "# network_experiment config: <config>", line 2 the column names, then
// one row per line (numbers with 17 significant digits).  Rows go to DIR/<name>.csv.partial,
// flushed after each append; `finish()` renames it to DIR/<name>.csv, so a file named .csv is
// always complete.  On construction an existing DIR/<name>.csv or .partial is read: written with
// the same config, its rows count as done (a truncated last line, from a kill, is dropped);
// written with another config, the constructor throws cli::usage_error (exit 2): a run never
// mixes rows of two configurations.  A row's key is the text of its first `key_columns` fields.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <shiftcurv/io/csv.hpp>

#include "cli/args.hpp"

namespace shiftcurv_examples::cli {

struct table_spec {
  std::string name;                  ///< file stem: DIR/<name>.csv
  std::vector<std::string> columns;  ///< column names
  std::size_t key_columns = 1;       ///< the first key_columns fields identify a unit of work
};

/// The key text of a row (its first n fields, as written).
inline std::string row_key(const std::vector<double>& row, std::size_t n) {
  std::string k;
  for (std::size_t j = 0; j < n && j < row.size(); ++j) {
    if (j) k += ',';
    k += shiftcurv::csv_number(row[j]);
  }
  return k;
}

class resumable_table {
 public:
  resumable_table(const std::filesystem::path& dir, table_spec spec, const std::string& config)
      : spec_(std::move(spec)), first_line_("# network_experiment config: " + config) {
    final_ = dir / (spec_.name + ".csv");
    partial_ = dir / (spec_.name + ".csv.partial");
    if (std::filesystem::exists(final_)) {
      load(final_);
      complete_ = true;
    } else if (std::filesystem::exists(partial_)) {
      load(partial_);
      rewrite();  // drops a truncated last line
    } else {
      rewrite();
    }
  }

  const table_spec& spec() const { return spec_; }
  bool complete() const { return complete_; }
  bool has_key(const std::string& key) const { return keys_.count(key) > 0; }
  std::size_t rows() const { return lines_.size(); }
  std::filesystem::path path() const { return complete_ ? final_ : partial_; }

  /// Keeps only the rows whose key is in `keep` (rows of a unit that did not finish).
  void keep_only(const std::set<std::string>& keep) {
    if (complete_) return;
    std::vector<std::string> kept;
    std::set<std::string> keys;
    for (std::size_t i = 0; i < lines_.size(); ++i)
      if (keep.count(line_keys_[i])) {
        kept.push_back(lines_[i]);
        keys.insert(line_keys_[i]);
      }
    if (kept.size() == lines_.size()) return;
    std::vector<std::string> kk;
    for (std::size_t i = 0; i < lines_.size(); ++i)
      if (keep.count(line_keys_[i])) kk.push_back(line_keys_[i]);
    lines_ = std::move(kept);
    line_keys_ = std::move(kk);
    keys_ = std::move(keys);
    rewrite();
  }

  /// Appends rows (each with columns().size() numbers) and flushes them to disk.
  void append(const std::vector<std::vector<double>>& rows) {
    if (complete_) throw std::logic_error(spec_.name + ": append to a complete table");
    std::string text;
    for (const auto& r : rows) {
      if (r.size() != spec_.columns.size())
        throw std::logic_error(spec_.name + ": a row has " + std::to_string(r.size()) + " fields, expected " +
                               std::to_string(spec_.columns.size()));
      std::string line;
      for (std::size_t j = 0; j < r.size(); ++j) {
        if (j) line += ',';
        line += shiftcurv::csv_number(r[j]);
      }
      text += line + '\n';
      lines_.push_back(line);
      line_keys_.push_back(row_key(r, spec_.key_columns));
      keys_.insert(line_keys_.back());
    }
    std::ofstream out(partial_, std::ios::app | std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot append to " + partial_.string());
  }

  /// Renames DIR/<name>.csv.partial to DIR/<name>.csv.
  void finish() {
    if (complete_) return;
    std::filesystem::rename(partial_, final_);
    complete_ = true;
  }

 private:
  std::string header_line() const {
    std::string h;
    for (std::size_t j = 0; j < spec_.columns.size(); ++j) h += (j ? "," : "") + spec_.columns[j];
    return h;
  }

  void load(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
      const auto nl = text.find('\n', start);
      if (nl == std::string::npos) break;  // an unterminated last line: dropped
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    if (lines.empty() || lines[0] != first_line_) {
      const std::string found = lines.empty() ? std::string("nothing") : "'" + lines[0].substr(0, 200) + "'";
      throw usage_error("--out: " + p.string() + " was written with other settings (its first line is " + found +
                        "); use another --out directory or remove the file");
    }
    if (lines.size() < 2 || lines[1] != header_line())
      throw usage_error("--out: " + p.string() + " has other columns than this version writes; remove it");
    for (std::size_t i = 2; i < lines.size(); ++i) {
      std::vector<double> r;
      std::size_t s = 0;
      bool ok = true;
      while (ok) {
        const auto c = lines[i].find(',', s);
        const std::string t = lines[i].substr(s, c == std::string::npos ? std::string::npos : c - s);
        char* end = nullptr;
        const double x = std::strtod(t.c_str(), &end);
        ok = !t.empty() && end == t.c_str() + t.size();
        r.push_back(x);
        if (c == std::string::npos) break;
        s = c + 1;
      }
      if (!ok || r.size() != spec_.columns.size()) continue;  // a damaged line: recomputed
      lines_.push_back(lines[i]);
      line_keys_.push_back(row_key(r, spec_.key_columns));
      keys_.insert(line_keys_.back());
    }
  }

  void rewrite() {
    std::string text = first_line_ + '\n' + header_line() + '\n';
    for (const auto& l : lines_) text += l + '\n';
    shiftcurv::detail::write_file_atomically("network_experiment", partial_, text);
  }

  table_spec spec_;
  std::string first_line_;
  std::filesystem::path final_, partial_;
  bool complete_ = false;
  std::vector<std::string> lines_, line_keys_;
  std::set<std::string> keys_;
};

}  // namespace shiftcurv_examples::cli
