// Pillow-strict JPEG decoding through libjpeg(-turbo)'s own API.
//
// TurboJPEG's memory source answers a read past the end of the data with a warning and a
// fake EOI, so a file cut between progressive scans decodes to a partly grey or black
// image, and its tjGetErrorCode reports TJERR_WARNING even when a fatal error followed the
// first warning. Pillow feeds libjpeg through a suspending source and raises "image file is
// truncated" whenever the decoder wants bytes the file does not have; libjpeg's warnings
// (corrupt data it recovered from) it ignores. This function does the same: its source
// manager fails on any read past the end, warnings are counted and otherwise ignored, and
// an error is fatal. The decoding itself is what tjDecompress2 runs: the accurate integer
// IDCT, fancy upsampling, gray replicated to RGB, CMYK/YCCK delivered as CMYK.
#ifndef CJPEG_STRICT_H
#define CJPEG_STRICT_H
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

/// Outcome of cjpeg_decode.
enum {
    CJPEG_OK = 0,
    CJPEG_ERROR = 1,       // libjpeg error (message set)
    CJPEG_TRUNCATED = 2,   // the decoder wanted bytes past the end of the data (message set)
    CJPEG_NEED_BUFFER = 3  // header read; width, height, channels set; call again with the buffer
};

typedef struct {
    unsigned int width;
    unsigned int height;
    int channels;      // bytes per output pixel: 3 (RGB) or 4 (CMYK, Adobe-inverted as stored)
    int progressive;
    int warnings;      // libjpeg warnings (recovered corruption), ignored as Pillow ignores them
    char message[JMSG_LENGTH_MAX + 64];
} cjpeg_result;

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    cjpeg_result *result;
    const char *stage; // where a truncation is reported to be
    int truncated;
    int finishing; // every row decoded; only the markers up to EOI remain
} cjpeg_error;

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error *error = (cjpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->result->message);
    longjmp(error->jump, 1);
}

static void cjpeg_emit_message(j_common_ptr cinfo, int level) {
    cjpeg_error *error = (cjpeg_error *)cinfo->err;
    if (level < 0) error->result->warnings++; // never printed: a library does not write to stderr
}

static void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cjpeg_init_source(j_decompress_ptr cinfo) { (void)cinfo; }
static void cjpeg_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

static void cjpeg_fail_truncated(j_decompress_ptr cinfo) {
    cjpeg_error *error = (cjpeg_error *)cinfo->err;
    error->truncated = 1;
    snprintf(error->result->message, sizeof error->result->message,
             "image file is truncated (the data ends %s)", error->stage);
    longjmp(error->jump, 1);
}

/// The whole file is in memory from the start, so a request for more is a truncation.
static boolean cjpeg_fill_input_buffer(j_decompress_ptr cinfo) {
    cjpeg_fail_truncated(cinfo);
    return FALSE;
}

static void cjpeg_skip_input_data(j_decompress_ptr cinfo, long count) {
    if (count <= 0) return;
    if ((size_t)count > cinfo->src->bytes_in_buffer) cjpeg_fail_truncated(cinfo);
    cinfo->src->next_input_byte += count;
    cinfo->src->bytes_in_buffer -= (size_t)count;
}

/// Decodes a JPEG held in memory to packed rows of `channels` bytes per pixel.
/// Call with out == NULL (or a too small capacity) to learn the size: returns
/// CJPEG_NEED_BUFFER. Returns CJPEG_OK once `out` holds the image.
static inline int cjpeg_decode(const unsigned char *data, size_t size, unsigned char *out,
                               size_t capacity, cjpeg_result *result) {
    memset(result, 0, sizeof *result);
    struct jpeg_decompress_struct cinfo;
    struct jpeg_source_mgr source;
    cjpeg_error error;
    memset(&error, 0, sizeof error);
    error.result = result;
    error.stage = "inside the headers";
    cinfo.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = cjpeg_error_exit;
    error.manager.emit_message = cjpeg_emit_message;
    error.manager.output_message = cjpeg_output_message;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        if (error.truncated && error.finishing) return CJPEG_OK; // every row is in: Pillow accepts it
        return error.truncated ? CJPEG_TRUNCATED : CJPEG_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    source.next_input_byte = data;
    source.bytes_in_buffer = size;
    source.init_source = cjpeg_init_source;
    source.fill_input_buffer = cjpeg_fill_input_buffer;
    source.skip_input_data = cjpeg_skip_input_data;
    source.resync_to_restart = jpeg_resync_to_restart;
    source.term_source = cjpeg_term_source;
    cinfo.src = &source;

    jpeg_read_header(&cinfo, TRUE);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    result->width = cinfo.image_width;
    result->height = cinfo.image_height;
    result->channels = cmyk ? 4 : 3;
    result->progressive = cinfo.progressive_mode;
    size_t row_bytes = (size_t)cinfo.image_width * (size_t)result->channels;
    if (out == NULL || cinfo.image_height == 0 || capacity / cinfo.image_height < row_bytes) {
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_NEED_BUFFER;
    }
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    error.stage = cinfo.progressive_mode ? "between or inside the progressive scans" : "inside the image data";
    jpeg_start_decompress(&cinfo); // a progressive file's scans are all read here
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height ||
        cinfo.output_components != result->channels) {
        snprintf(result->message, sizeof result->message,
                 "libjpeg produced %u x %u x %d, expected %u x %u x %d", cinfo.output_width,
                 cinfo.output_height, cinfo.output_components, cinfo.image_width, cinfo.image_height,
                 result->channels);
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_ERROR;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    // Reads the markers up to EOI. A file cut there has every row; Pillow's decoder, whose
    // jpeg_finish_decompress may suspend, accepts it, and so does this one.
    error.finishing = 1;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}
#endif
