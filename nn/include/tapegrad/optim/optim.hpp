#pragma once
// Everything in tg::optim: optimizers, gradient clipping and learning-rate schedules.

#include "tapegrad/optim/adadelta.hpp"
#include "tapegrad/optim/adagrad.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/optim/optimizer.hpp"
#include "tapegrad/optim/rmsprop.hpp"
#include "tapegrad/optim/schedule.hpp"
#include "tapegrad/optim/sgd.hpp"
