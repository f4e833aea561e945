// CBLAS through OpenBLAS, plus its introspection calls (config string, core name, threads).
#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
#endif
