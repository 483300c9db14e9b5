#pragma once
// Everything in tapegrad::autograd.

#include "tapegrad/autograd.hpp"
#include "tapegrad/dtype.hpp"
#include "tapegrad/function.hpp"
#include "tapegrad/functional.hpp"
#include "tapegrad/gradcheck.hpp"
#include "tapegrad/graph_export.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/ops.hpp"
#include "tapegrad/shape.hpp"
#include "tapegrad/tensor.hpp"
