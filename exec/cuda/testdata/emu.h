// emu.h runs loom's generated CUDA C on the host, for tests on machines
// without a GPU: each block's threads are OS threads (sequential calls when
// the kernel never synchronizes), __syncthreads is a block barrier and warp
// shuffles exchange through per-warp slots. Device memory is one arena
// mapped at the address the Go side hands out as device pointers.
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct dim3 { unsigned x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
static thread_local dim3 threadIdx, blockIdx;
static dim3 blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __restrict__

struct emu_warp {
  pthread_barrier_t bar;
  alignas(8) unsigned char slot[32][8];
};
static thread_local pthread_barrier_t *emu_block;
static thread_local emu_warp *emu_warps;

inline void __syncthreads() { pthread_barrier_wait(emu_block); }

template <typename T> inline T __shfl_xor_sync(unsigned, T v, int mask) {
  emu_warp &w = emu_warps[threadIdx.x / 32];
  unsigned lane = threadIdx.x % 32;
  static_assert(sizeof(T) <= 8, "shuffle of a wide type");
  memcpy(w.slot[lane], &v, sizeof(T));
  pthread_barrier_wait(&w.bar);
  T r;
  memcpy(&r, w.slot[lane ^ mask], sizeof(T));
  pthread_barrier_wait(&w.bar);
  return r;
}

inline float __int_as_float(int v) { float f; memcpy(&f, &v, 4); return f; }
inline double __longlong_as_double(long long v) { double f; memcpy(&f, &v, 8); return f; }
inline long long atomicMin(long long *p, long long v) {
  long long old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (v < old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
  return old;
}
inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicCAS(unsigned long long *p, unsigned long long cmp, unsigned long long v) {
  __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return cmp;
}

template <typename P> struct emu_thread {
  void (*k)(P);
  const P *p;
  unsigned t, b;
  pthread_barrier_t *block;
  emu_warp *warps;
};

template <typename P> void *emu_thread_main(void *arg) {
  emu_thread<P> *a = (emu_thread<P> *)arg;
  threadIdx = {a->t, 0, 0};
  blockIdx = {a->b, 0, 0};
  emu_block = a->block;
  emu_warps = a->warps;
  a->k(*a->p);
  return 0;
}

// emu_run launches k over grid × block threads with the parameter struct
// read from params (whose size must match the kernel's struct exactly).
template <typename P> int emu_run(void (*k)(P), const void *params, size_t size, unsigned grid, unsigned block, bool threaded) {
  if (size != sizeof(P)) {
    fprintf(stderr, "emu: parameter struct is %zu bytes, the launch packed %zu\n", sizeof(P), size);
    return 3;
  }
  P p;
  memcpy((void *)&p, params, sizeof(P));
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  for (unsigned b = 0; b < grid; b++) {
    if (!threaded) {
      for (unsigned t = 0; t < block; t++) {
        threadIdx = {t, 0, 0};
        blockIdx = {b, 0, 0};
        k(p);
      }
      continue;
    }
    if (block % 32 != 0) {
      fprintf(stderr, "emu: a cooperative kernel launched with %u threads per block\n", block);
      return 3;
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, 0, block);
    emu_warp *warps = new emu_warp[block / 32];
    for (unsigned w = 0; w < block / 32; w++) pthread_barrier_init(&warps[w].bar, 0, 32);
    pthread_t *ts = new pthread_t[block];
    emu_thread<P> *args = new emu_thread<P>[block];
    for (unsigned t = 0; t < block; t++) {
      args[t] = emu_thread<P>{k, &p, t, b, &bar, warps};
      pthread_attr_t at;
      pthread_attr_init(&at);
      pthread_attr_setstacksize(&at, 1 << 18);
      if (pthread_create(&ts[t], &at, emu_thread_main<P>, &args[t]) != 0) { perror("emu: pthread_create"); return 2; }
      pthread_attr_destroy(&at);
    }
    for (unsigned t = 0; t < block; t++) pthread_join(ts[t], 0);
    for (unsigned w = 0; w < block / 32; w++) pthread_barrier_destroy(&warps[w].bar);
    pthread_barrier_destroy(&bar);
    delete[] ts;
    delete[] args;
    delete[] warps;
  }
  return 0;
}

// emu_main maps the arena at base, loads it and the parameters, runs the
// kernel and writes the arena back.
template <typename P> int emu_main(void (*k)(P), int argc, char **argv, bool threaded) {
  if (argc != 6) { fprintf(stderr, "usage: arena base params grid block\n"); return 2; }
  unsigned long long base = strtoull(argv[2], 0, 16);
  FILE *f = fopen(argv[1], "rb");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  size_t cap = ((size_t)n + 4095) / 4096 * 4096 + 4096;
  void *mem = mmap((void *)base, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (mem != (void *)base) { perror("emu: mmap"); return 2; }
  if (n > 0 && fread(mem, 1, n, f) != (size_t)n) { perror("emu: read arena"); return 2; }
  fclose(f);
  FILE *pf = fopen(argv[3], "rb");
  static unsigned long long params[1024];
  size_t np = fread(params, 1, sizeof params, pf);
  fclose(pf);
  int rc = emu_run(k, params, np, (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]), threaded);
  if (rc != 0) return rc;
  f = fopen(argv[1], "wb");
  if (n > 0) fwrite(mem, 1, n, f);
  fclose(f);
  return 0;
}
