#pragma once
// Every op of tapegrad: the differentiable families and the random sampling functions.

#include "tapegrad/activation.hpp"
#include "tapegrad/conv.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/extrema.hpp"
#include "tapegrad/indexing.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/logic.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/normalization.hpp"
#include "tapegrad/pooling.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/random.hpp"
#include "tapegrad/scan.hpp"
#include "tapegrad/shape_ops.hpp"
#include "tapegrad/sorting.hpp"
#include "tapegrad/statistics.hpp"
