// libpng's simplified API (png_image_*); PNG_IMAGE_SIZE and friends are macros.
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>
static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }
static inline png_uint_32 cpng_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 cpng_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline int cpng_image_failed(png_imagep image) { return PNG_IMAGE_FAILED(*image); }
#endif
