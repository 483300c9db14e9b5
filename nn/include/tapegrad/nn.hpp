#pragma once
// Everything in tapegrad::nn (layers, losses, initialisers, checkpoints, write_dot); optimizers are in tapegrad/optim/optim.hpp.

#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/graph_export.hpp"
#include "tapegrad/nn/init.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/nn/normalization.hpp"
#include "tapegrad/nn/pooling.hpp"
#include "tapegrad/nn/recurrent.hpp"
