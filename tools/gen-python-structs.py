#!/usr/bin/env python3
"""Generate python/src/structs.inc: nanobind bindings of the library's option and result
structs, field by field, from their definitions in include/shiftcurv (name, type, the `///<`
comment as docstring).  Rerun after changing one of the structs listed in STRUCTS:

    python3 tools/gen-python-structs.py          # rewrites python/src/structs.inc
    python3 tools/gen-python-structs.py --check  # exit 1 if the file is out of date (ctest)

Options structs are bound read-write with a default constructor (Python builds them from
keyword arguments), results read-only.  A field whose type has no Python conversion (a
callback, a stream pointer, a struct not listed here) is left out and named in a comment."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INC = ROOT / "include" / "shiftcurv"
OUT = ROOT / "python" / "src" / "structs.inc"

# (header, struct, python name, kind) in dependency order (a field's struct before its user).
STRUCTS = [
    ("core/status.hpp", "result_base", "ResultBase", "result"),
    ("potential/quadrature.hpp", "quadrature_result", "QuadratureResult", "result"),
    ("potential/effective_potential.hpp", "line_integral_options", "LineIntegralOptions", "options"),
    ("potential/effective_potential.hpp", "line_integral_result", "LineIntegralResult", "result"),
    ("optimize/find_minimum.hpp", "find_minimum_options", "FindMinimumOptions", "options"),
    ("optimize/find_minimum.hpp", "minimum_result", "MinimumResult", "result"),
    ("optimize/lbfgs.hpp", "minimize_lbfgs_options", "MinimizeLbfgsOptions", "options"),
    ("optimize/lbfgs.hpp", "minimize_lbfgs_result", "MinimizeLbfgsResult", "result"),
    ("basins/steady_state_1d.hpp", "steady_state_1d_options", "SteadyState1dOptions", "options"),
    ("basins/steady_state_1d.hpp", "basin_1d", "Basin1d", "result"),
    ("basins/gaussian_mixture.hpp", "gaussian_mixture_options", "GaussianMixtureOptions", "options"),
    ("basins/gaussian_mixture.hpp", "mixture_component", "MixtureComponent", "result"),
    ("basins/gaussian_mixture.hpp", "gaussian_mixture_result", "GaussianMixtureResult", "result"),
    ("generalization/decomposition.hpp", "decomposition_terms", "DecompositionTerms", "result"),
    ("generalization/decomposition.hpp", "basin_terms", "BasinTerms", "result"),
    ("generalization/decomposition.hpp", "decompose_test_loss_result", "DecomposeTestLossResult", "result"),
    ("studies/expected_test_loss.hpp", "predict_test_loss_options", "PredictTestLossOptions", "options"),
    ("studies/expected_test_loss.hpp", "basin_prediction", "BasinPrediction", "result"),
    ("studies/expected_test_loss.hpp", "predict_test_loss_result", "PredictTestLossResult", "result"),
    ("fokker_planck/fokker_planck_1d.hpp", "fp_steady_result", "FpSteadyResult", "result"),
    ("fokker_planck/fokker_planck_2d.hpp", "fp_steady_2d_result", "FpSteady2dResult", "result"),
    ("dynamics/langevin_1d.hpp", "langevin_1d_snapshot", "Langevin1dSnapshot", "result"),
    ("dynamics/langevin_1d.hpp", "langevin_1d_result", "Langevin1dResult", "result"),
    ("curvature/lanczos.hpp", "top_eigenpairs_options", "TopEigenpairsOptions", "options"),
    ("curvature/lanczos.hpp", "top_eigenpairs_result", "TopEigenpairsResult", "result"),
    ("curvature/hutchinson.hpp", "hutchinson_trace_options", "HutchinsonTraceOptions", "options"),
    ("curvature/hutchinson.hpp", "hutchinson_trace_result", "HutchinsonTraceResult", "result"),
    ("curvature/spectral_density.hpp", "spectral_density_options", "SpectralDensityOptions", "options"),
    ("curvature/spectral_density.hpp", "spectral_density_result", "SpectralDensityResult", "result"),
    ("generalization/stationary_covariance.hpp", "lyapunov_covariance_options", "LyapunovCovarianceOptions", "options"),
    ("generalization/stationary_covariance.hpp", "lyapunov_covariance_result", "LyapunovCovarianceResult", "result"),
    ("dynamics/sgd.hpp", "sgd_options", "SgdOptions", "options"),
    ("dynamics/sgd.hpp", "sgd_record_options", "SgdRecordOptions", "options"),
    ("dynamics/sgd.hpp", "sgd_record_result", "SgdRecordResult", "result"),
    ("dynamics/sgd.hpp", "sgd_iterates_result", "SgdIteratesResult", "result"),
    ("generalization/line_curvature.hpp", "line_curvature_options", "LineCurvatureOptions", "options"),
    ("generalization/line_curvature.hpp", "line_curvature_result", "LineCurvatureResult", "result"),
    ("studies/line_protocol.hpp", "line_protocol_options", "LineProtocolOptions", "options"),
    ("studies/line_protocol.hpp", "line_protocol_result", "LineProtocolResult", "result"),
    ("studies/covariance_curvature.hpp", "covariance_curvature_estimate_options", "CovarianceCurvatureEstimateOptions", "options"),
    ("studies/covariance_curvature.hpp", "covariance_curvature_estimate_result", "CovarianceCurvatureEstimateResult", "result"),
    ("generalization/shift.hpp", "project_shift_options", "ProjectShiftOptions", "options"),
    ("generalization/shift.hpp", "project_shift_result", "ProjectShiftResult", "result"),
    ("studies/loss_terms.hpp", "test_loss_terms_options", "TestLossTermsOptions", "options"),
    ("studies/loss_terms.hpp", "test_loss_terms_result", "TestLossTermsResult", "result"),
    ("studies/flat_direction_variance.hpp", "flat_direction_variance_options", "FlatDirectionVarianceOptions", "options"),
    ("studies/flat_direction_variance.hpp", "flat_direction_variance_result", "FlatDirectionVarianceResult", "result"),
]

# Types with a nanobind conversion (after `shiftcurv::` is stripped), besides the listed structs.
SIMPLE = {"double", "float", "int", "long", "bool", "index", "std::size_t", "std::uint64_t",
          "unsigned", "std::string", "vector", "matrix", "status", "std::vector<double>",
          "std::vector<int>", "std::vector<vector>", "std::vector<index>", "std::vector<long>",
          "std::optional<double>", "std::vector<std::string>", "sde_scheme", "spectrum_end",
          "probe_distribution", "minibatch_sampling", "sgd_batch_bound", "line_rule",
          "std::vector<matrix>", "Eigen::VectorXd", "Eigen::MatrixXd", "long long",
          "std::uint32_t", "unsigned long long", "std::vector<std::vector<double>>"}

DECL = re.compile(r"^(?P<type>(?:const\s+)?[\w:]+(?:<[^;{}()]*>)?)\s+(?P<rest>\w+.*)$")
SKIP_START = ("static", "using", "friend", "template", "return", "constexpr", "typedef", "//", "if", "for")


def struct_body(text, name):
    m = re.search(r"^struct " + name + r"\b[^{;]*\{", text, re.M)
    if not m:
        sys.exit(f"gen-python-structs: struct {name} not found")
    head = m.group(0)
    base = re.search(r":\s*(?:public\s+)?([\w:]+)", head[len("struct " + name):])
    i, depth, lines, cur = m.end(), 1, [], ""
    while depth > 0:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "\n":
            lines.append((cur, depth))
            cur = ""
        else:
            cur += c
        i += 1
    return (base.group(1) if base else None), lines


def split_top(text):
    """Split at commas outside (), <>, {}."""
    out, depth, cur = [], 0, ""
    for c in text:
        if c in "(<{":
            depth += 1
        elif c in ")>}":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    return out + [cur]


def fields(header, name, known):
    text = (INC / header).read_text()
    base, lines = struct_body(text, name)
    out, skipped, doc_lines = [], [], []
    prev_depth = 1
    pending = None  # a member whose braced initializer spans lines
    for line, depth in lines:
        s = line.strip()
        if pending is not None:
            pending += " " + s
            prev_depth = depth
            if depth != 1:
                continue
            s, line, at_top = pending, pending, True
            pending = None
        else:
            at_top = depth == 1 and prev_depth == 1
            if prev_depth == 1 and depth == 2 and s.endswith(",") and "(" not in s.split("{")[0] \
                    and not s.startswith(SKIP_START):
                pending, prev_depth = s, depth
                continue
            prev_depth = depth
        if s.startswith("///") and not s.startswith("///<"):
            doc_lines.append(s[3:].strip())
            continue
        code, _, doc = s.partition("//")
        doc = doc[2:].strip() if doc.startswith("/<") else ""
        code = code.strip()
        if not at_top or not code.endswith(";") or code.startswith(SKIP_START):
            doc_lines = []
            continue
        m = DECL.match(code[:-1].strip())
        if not m:
            doc_lines = []
            continue
        names = []
        for piece in split_top(m.group("rest")):
            nm = re.match(r"\s*(\w+)\s*(=.*|\{.*\})?\s*$", piece, re.S)
            if not nm:
                names = []
                break
            names.append(nm.group(1))
        t = re.sub(r"\bshiftcurv::", "", m.group("type")).strip()
        doc = (doc or " ".join(doc_lines)).strip()
        doc_lines = []
        for n in names:
            if t in SIMPLE or t in known or (t.startswith("std::vector<") and t[12:-1] in known):
                out.append((n, doc))
            else:
                skipped.append((n, t))
    return base, out, skipped


def main():
    known, parts = {}, ["// Generated by tools/gen-python-structs.py from include/shiftcurv: do not edit.\n"
                        "// Included once, inside bind_structs(nb::module_& m) of python/src/module.cpp.\n"]
    for header, name, py, kind in STRUCTS:
        base, fs, skipped = fields(header, name, known)
        base = re.sub(r"^shiftcurv::", "", base) if base else None
        bound_base = base if base in known else None
        cls = f"shiftcurv::{name}"
        tmpl = f"{cls}, shiftcurv::{bound_base}" if bound_base else cls
        parts.append(f"// {header}: {name}")
        if skipped:
            parts.append("// not bound: " + ", ".join(f"{n} ({t})" for n, t in skipped))
        parts.append(f'auto cls_{name} = nb::class_<{tmpl}>(m, "{py}", "shiftcurv::{name} ({header})")')
        if kind == "options":
            parts.append("    .def(nb::init<>())")
        for f, doc in fs:
            d = doc.replace("\\", "\\\\").replace('"', '\\"')
            meth = "def_rw" if kind == "options" else "def_ro"
            parts.append(f'    .{meth}("{f}", &{cls}::{f}, "{d}")')
        parts[-1] += ";"
        parts.append(f"(void)cls_{name};")
        known[name] = py
    text = "\n".join(parts) + "\n"
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python3 tools/gen-python-structs.py", file=sys.stderr)
            sys.exit(1)
        return
    if "--list" in sys.argv:
        print(text)
        return
    OUT.write_text(text)


if __name__ == "__main__":
    main()
