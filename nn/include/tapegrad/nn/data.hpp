#pragma once
// Everything for data loading: Dataset and its splits, the CSV and IDX readers, and the DataLoader.

#include "tapegrad/nn/csv.hpp"
#include "tapegrad/nn/data_loader.hpp"
#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/nn/idx.hpp"
