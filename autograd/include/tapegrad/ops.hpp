#pragma once
// Every differentiable op of tapegrad.

#include "tapegrad/activation.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/scan.hpp"
#include "tapegrad/shape_ops.hpp"
#include "tapegrad/statistics.hpp"
