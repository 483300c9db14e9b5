# Sourced by the launch scripts: picks OpenBLAS's kernel for this CPU and its thread count.
# Debian 12's OpenBLAS 0.3.21 does not know recent CPUs and falls back to its generic "Prescott" kernel,
# about 4.7x slower at sgemm; OPENBLAS_CORETYPE must be set before the library loads. Either variable
# may be set beforehand to override the choice here.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  if [[ $flags == *avx512_bf16* ]]; then export OPENBLAS_CORETYPE=Cooperlake
  elif [[ $flags == *avx512f* && $flags == *avx512vl* ]]; then export OPENBLAS_CORETYPE=SkylakeX
  elif [[ $flags == *avx2* ]]; then export OPENBLAS_CORETYPE=Haswell
  fi
fi
# The pthread build of OpenBLAS starts one thread per core unless told otherwise.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-${TAPEGRAD_THREADS:-1}}
