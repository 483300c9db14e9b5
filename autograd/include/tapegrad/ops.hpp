#pragma once
// Every differentiable op of tapegrad.

#include "tapegrad/activation.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/extrema.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"
#include "tapegrad/sorting.hpp"
