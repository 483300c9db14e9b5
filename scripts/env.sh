# Sourced by the launch scripts: picks OpenBLAS's kernel for this CPU and its thread count.
# On CPUs it does not recognise, Debian 12's OpenBLAS 0.3.21 falls back to its generic "Prescott" kernel,
# several times slower at sgemm (linalg.cpp warns when that happens). On the project's AMD EPYC Zen 5
# machines it needs no help: with OPENBLAS_CORETYPE unset it picks Cooperlake by itself (measured
# 2026-12-01 with openblas_get_corename). Naming the kernel that matches the CPU's flags here makes the
# choice the same on every machine. OPENBLAS_CORETYPE must be set before the library loads; either
# variable may be set beforehand to override the choice here (some hosts preset OPENBLAS_CORETYPE=Haswell,
# about half Cooperlake's sgemm speed there, and every test must pass under it).

# The OpenBLAS kernel that matches this CPU's flags, or nothing when none of these fits.
tapegrad_cpu_coretype() {
  local flags
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  if [[ $flags == *avx512_bf16* ]]; then echo Cooperlake
  elif [[ $flags == *avx512f* && $flags == *avx512vl* ]]; then echo SkylakeX
  elif [[ $flags == *avx2* ]]; then echo Haswell
  fi
}

if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  OPENBLAS_CORETYPE=$(tapegrad_cpu_coretype)
  if [[ -n $OPENBLAS_CORETYPE ]]; then export OPENBLAS_CORETYPE; else unset OPENBLAS_CORETYPE; fi
fi
# The pthread build of OpenBLAS starts one thread per core unless told otherwise.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-${TAPEGRAD_THREADS:-1}}
