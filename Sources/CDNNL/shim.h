// oneDNN (Debian's libdnnl-dev: no pkg-config file, headers in oneapi/dnnl/) for the
// bfloat16 and float32 matrix products, plus what Swift cannot call directly: memory
// descriptors built from C arrays, and the OpenMP thread count of the calling thread
// (oneDNN's CPU runtime is OpenMP; the functions are looked up in the libgomp that libdnnl
// loads, so nothing more is linked).
#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <stdint.h>

/// A 2-D memory descriptor of `rows` x `cols` elements of `type`, with element strides
/// `row_stride` and `col_stride` (row-major: cols, 1; transposed storage: 1, ld).
static inline dnnl_status_t cocoop_dnnl_md_2d(dnnl_memory_desc_t *md, int64_t rows, int64_t cols,
                                              int64_t row_stride, int64_t col_stride,
                                              dnnl_data_type_t type) {
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {row_stride, col_stride};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}

/// A 2-D memory descriptor of `rows` x `cols` elements of `type` whose layout the primitive
/// chooses (format `any`: for a matmul's weights, its packed blocked layout).
static inline dnnl_status_t cocoop_dnnl_md_2d_any(dnnl_memory_desc_t *md, int64_t rows, int64_t cols,
                                                  dnnl_data_type_t type) {
    dnnl_dims_t dims = {rows, cols};
    return dnnl_memory_desc_init_by_tag(md, 2, dims, type, dnnl_format_tag_any);
}

/// A 4-D memory descriptor `[d0, d1, rows, cols]` with element strides `s0 .. s3` (two batch
/// dimensions in front of a matrix: sequences and attention heads).
static inline dnnl_status_t cocoop_dnnl_md_4d(dnnl_memory_desc_t *md, int64_t d0, int64_t d1, int64_t rows,
                                              int64_t cols, int64_t s0, int64_t s1, int64_t row_stride,
                                              int64_t col_stride, dnnl_data_type_t type) {
    dnnl_dims_t dims = {d0, d1, rows, cols};
    dnnl_dims_t strides = {s0, s1, row_stride, col_stride};
    return dnnl_memory_desc_init_by_strides(md, 4, dims, type, strides);
}

/// The execution argument of the second operand of the post-op at `index` (a binary
/// post-op's matrix; the header's function-like macros do not import into Swift).
static inline int cocoop_dnnl_arg_post_op_src1(int index) {
    return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
}

/// omp_set_num_threads for the calling thread (no-op when no OpenMP runtime is loaded).
static inline void cocoop_omp_set_num_threads(int n) {
    static void (*set)(int);
    static int looked;
    if (!looked) {
        set = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        looked = 1;
    }
    if (set) set(n);
}

/// Runs `fn(data)` on a team of up to `threads` OpenMP threads (libgomp's GOMP_parallel, what
/// `#pragma omp parallel num_threads(threads)` compiles to), the pool oneDNN's products run on,
/// so that the kernels between products do not compete with its waiting threads.
/// Returns 0 when no OpenMP runtime is loaded (nothing ran).
static inline int cocoop_omp_parallel(void (*fn)(void *), void *data, unsigned threads) {
    static void (*parallel)(void (*)(void *), void *, unsigned, unsigned);
    static int looked;
    if (!looked) {
        parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))dlsym(RTLD_DEFAULT, "GOMP_parallel");
        looked = 1;
    }
    if (!parallel) return 0;
    parallel(fn, data, threads, 0);
    return 1;
}

/// omp_get_thread_num and omp_get_num_threads inside a team (0 and 1 outside one).
static inline void cocoop_omp_team(int *index, int *size) {
    static int (*num)(void), (*count)(void);
    if (!num || !count) {
        num = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_thread_num");
        count = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_num_threads");
    }
    *index = num ? num() : 0;
    *size = count ? count() : 1;
}
#endif
