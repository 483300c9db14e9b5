#!/usr/bin/python3
"""PyTorch's side of the data-parallel benchmark (bench/distributed/data_parallel_step.cpp): one training step of
the fashion (784-256-256-10, ReLU, Adam lr 1e-3, batch 128) or wide (1024-2048-2048-10, ReLU, SGD lr 0.01,
batch 256) workload of bench/workloads.hpp at the global batch of one process, split evenly over --ranks
processes started with torch.multiprocessing on this machine, each on one thread, the gradients averaged by
torch.nn.parallel.DistributedDataParallel over the gloo backend on loopback (PyTorch 1.13, Debian's
python3-torch). With one rank the model runs without DDP, as a one-process PyTorch user runs it. Rank 0
prints one line with the median over --repeats blocks of --steps steps, every rank starting and ending each
block together:

    pytorch_ddp workload=fashion ranks=2 global_batch=128 per_rank=64 step_ms=...

    /usr/bin/python3 scripts/pytorch_ddp.py --workload fashion --ranks 2
"""

import argparse
import os
import socket
import statistics
import sys
import time

WORKLOADS = {  # name: (layer sizes, global batch, optimizer, learning rate), as bench/workloads.hpp
    "fashion": ((784, 256, 256, 10), 128, "adam", 1e-3),
    "wide": ((1024, 2048, 2048, 10), 256, "sgd", 0.01),
}


def free_port():
    """A TCP port on loopback that nothing listens on now, for the ranks' rendezvous."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(rank, args, port):
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    sizes, batch, optimizer_name, lr = WORKLOADS[args.workload]
    per_rank = batch // args.ranks
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=args.ranks)
    torch.manual_seed(42 + rank)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    if args.ranks > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_mib)
    if optimizer_name == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.randn(per_rank, sizes[0])
    y = torch.randint(0, sizes[-1], (per_rank,))

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    blocks = []
    for _ in range(args.repeats):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        dist.barrier()
        blocks.append((time.perf_counter() - start) * 1e3 / args.steps)
    if rank == 0:
        print(f"pytorch_ddp workload={args.workload} ranks={args.ranks} global_batch={batch} per_rank={per_rank} "
              f"step_ms={statistics.median(blocks):.3f} torch={torch.__version__} threads={torch.get_num_threads()}",
              flush=True)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="fashion")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--bucket-mib", type=float, default=25, help="DDP's bucket_cap_mb (its default 25)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, help="steps per block (default 100 for fashion, 20 for wide)")
    args = parser.parse_args()
    batch = WORKLOADS[args.workload][1]
    if args.ranks < 1 or batch % args.ranks:
        parser.error(f"--ranks {args.ranks}: the {args.workload} batch {batch} must split evenly over the ranks")
    if args.bucket_mib <= 0 or args.warmup < 0 or args.repeats < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--bucket-mib, --repeats and --steps must be positive and --warmup not negative")
    if args.steps is None:
        args.steps = 20 if args.workload == "wide" else 100
    # One thread per rank, gloo on loopback only: set before torch starts in the children.
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo")
    import torch.multiprocessing as mp

    mp.spawn(worker, args=(args, free_port()), nprocs=args.ranks, join=True)


if __name__ == "__main__":
    sys.exit(main())
