// libpng's simplified API (png_image_*); PNG_IMAGE_SIZE and friends are macros.
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
#include <png.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
static inline png_uint_32 cpng_image_version(void) { return PNG_IMAGE_VERSION; }
static inline png_uint_32 cpng_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 cpng_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline int cpng_image_failed(png_imagep image) { return PNG_IMAGE_FAILED(*image); }

// MARK: - Pillow-compatible RGB8 decoding (libpng's full API)
//
// libpng reports errors by longjmp, which Swift cannot receive, so the setjmp and every
// libpng call that may fail live in this one C function. It applies exactly the transforms
// that reproduce Pillow's `Image.open(f).convert("RGB")` and none that change values:
// no gamma, no background compositing, no alpha premultiplication, ICC profiles ignored.
//   palette          -> colours from PLTE (tRNS ignored)
//   gray 1/2/4 bits  -> scaled to 8 bits (x255, x85, x17), then replicated to RGB
//   gray 16 bits     -> Pillow's I;16 -> RGB: min(value, 255), replicated
//   other 16 bits    -> high byte (Pillow's RGB;16B, RGBA;16B, LA;16B rawmodes)
//   alpha            -> dropped without compositing

/// Outcome of cpng_decode_rgb8.
enum {
    CPNG_OK = 0,
    CPNG_ERROR = 1,       // libpng error (message set): corrupt, truncated, bad CRC
    CPNG_NEED_BUFFER = 2, // header read; width/height set; call again with w*h*3 bytes
    CPNG_UNEXPECTED = 3   // transforms did not produce 8-bit RGB (message set)
};

typedef struct {
    png_uint_32 width;
    png_uint_32 height;
    int bit_depth;
    int color_type;
    int interlaced;
    char message[200];
} cpng_result;

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
} cpng_source;

static void cpng_read_callback(png_structp png, png_bytep out, size_t count) {
    cpng_source *source = (cpng_source *)png_get_io_ptr(png);
    if (count > source->size - source->position) {
        png_error(png, "file is truncated (read past the end of the data)");
    }
    memcpy(out, source->data + source->position, count);
    source->position += count;
}

static void cpng_error_callback(png_structp png, png_const_charp message) {
    cpng_result *result = (cpng_result *)png_get_error_ptr(png);
    snprintf(result->message, sizeof result->message, "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void cpng_warning_callback(png_structp png, png_const_charp message) {
    (void)png;
    (void)message; // Pillow ignores the same conditions (bad ancillary chunks, sRGB profile notes)
}

/// Decodes a PNG held in memory to packed 8-bit RGB rows (width * 3 bytes each).
/// Call with out == NULL (or a too small capacity) to learn width and height:
/// returns CPNG_NEED_BUFFER. Returns CPNG_OK once `out` holds the image.
static inline int cpng_decode_rgb8(const unsigned char *data, size_t size, unsigned char *out,
                                   size_t capacity, cpng_result *result) {
    memset(result, 0, sizeof *result);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(result->message, sizeof result->message, "not a PNG signature");
        return CPNG_ERROR;
    }
    cpng_source source = {data, size, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, result, cpng_error_callback,
                                             cpng_warning_callback);
    if (png == NULL) {
        snprintf(result->message, sizeof result->message, "png_create_read_struct failed");
        return CPNG_ERROR;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(result->message, sizeof result->message, "png_create_info_struct failed");
        return CPNG_ERROR;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_ERROR;
    }
    png_set_read_fn(png, &source, cpng_read_callback);
    // Pillow verifies the checksum of every chunk before the image data and refuses the
    // file on a mismatch; libpng would only warn about an ancillary one and drop it.
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    result->width = width;
    result->height = height;
    result->bit_depth = bit_depth;
    result->color_type = color_type;
    result->interlaced = interlace != PNG_INTERLACE_NONE;
    size_t row_bytes = (size_t)width * 3;
    if (out == NULL || height == 0 || capacity / height < row_bytes) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_NEED_BUFFER;
    }

    int gray16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png); // also expands tRNS to alpha, stripped below
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (bit_depth == 16 && !gray16) {
        png_set_strip_16(png); // keeps the high byte
    }
    if ((color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) && !gray16) {
        png_set_gray_to_rgb(png);
    }
    if ((color_type & PNG_COLOR_MASK_ALPHA) != 0 ||
        (color_type == PNG_COLOR_TYPE_PALETTE && png_get_valid(png, info, PNG_INFO_tRNS) != 0)) {
        png_set_strip_alpha(png);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t produced = png_get_rowbytes(png, info);
    size_t expected = gray16 ? (size_t)width * 2 : row_bytes;
    if (produced != expected) {
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(result->message, sizeof result->message,
                 "libpng produced %zu bytes per row, expected %zu (bit depth %d, colour type %d)",
                 produced, expected, bit_depth, color_type);
        return CPNG_UNEXPECTED;
    }
    // Rows land at a stride of width * 3 even for 16-bit gray (2 bytes per pixel), which
    // is then widened in place once every interlace pass has been combined.
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 y = 0; y < height; y++) {
            png_read_row(png, out + (size_t)y * row_bytes, NULL);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);

    if (gray16) {
        for (png_uint_32 y = 0; y < height; y++) {
            unsigned char *row = out + (size_t)y * row_bytes;
            for (png_uint_32 x = width; x-- > 0;) {
                unsigned char high = row[2 * (size_t)x], low = row[2 * (size_t)x + 1];
                unsigned char v = high != 0 ? 255 : low;
                row[3 * (size_t)x] = v;
                row[3 * (size_t)x + 1] = v;
                row[3 * (size_t)x + 2] = v;
            }
        }
    }
    return CPNG_OK;
}
#endif
