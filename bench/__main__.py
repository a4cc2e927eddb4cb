"""``make bench``: every benchmark, each printing ratios against a baseline from the same run."""

from bench import (
    animatic_history,
    batches,
    bench_animatic,
    bench_api,
    bench_hostile,
    bench_memory,
    bench_operations,
    bench_queue,
    bench_reads,
    bench_remote,
    bench_routing,
    bench_safety,
    bench_scale,
    diffusers_overhead,
    storyboard,
)

if __name__ == "__main__":
    bench_api.main()
    print()
    bench_reads.main()
    print()
    bench_memory.main()
    print()
    bench_scale.main()
    print()
    bench_animatic.main()
    print()
    animatic_history.main()
    print()
    bench_queue.main()
    print()
    bench_routing.main()
    print()
    bench_safety.main()
    print()
    bench_operations.main()
    print()
    bench_hostile.main()
    print()
    diffusers_overhead.main()
    print()
    storyboard.main()
    print()
    batches.main()
    print()
    bench_remote.main()
