// JPEGShim: libjpeg(-turbo) decode and encode behind setjmp, so that libjpeg's error_exit never
// unwinds Swift frames (and never calls exit(), its default). See include/JPEGShim.h.
//
// State that must survive a longjmp lives in the heap-allocated decoder (never in
// non-volatile locals). Input comes from a source manager over the caller's bytes that
// stops with an error at the end of the data, so a cut file reads as truncated rather than
// being padded with a fake EOI marker as jpeg_mem_src does.

#include "JPEGShim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

enum { MESSAGE_CAPACITY = 256 };

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[MESSAGE_CAPACITY];
    int truncated;
    int corrupt;
    int too_many_scans;
    uint32_t max_scans;
} shim_error;

struct jpegshim_decoder {
    struct jpeg_decompress_struct info;
    shim_error error;
    struct jpeg_source_mgr source;
    struct jpeg_progress_mgr progress;
    const uint8_t *data;
    size_t size;
    int created;
    int failed;
    int header_done;
    int started;
    jpegshim_header header;
    /// One decoded scanline (CMYK or RGB), owned here so a longjmp cannot leak it.
    uint8_t *row;
};

static void copy_message(char *destination, size_t capacity, const char *text) {
    if (capacity == 0) return;
    if (text == NULL) text = "";
    strncpy(destination, text, capacity - 1);
    destination[capacity - 1] = '\0';
}

static void shim_error_exit(j_common_ptr cinfo) {
    shim_error *error = (shim_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    copy_message(error->message, sizeof error->message, text);
    longjmp(error->jump, 1);
}

// Warnings (level -1) about damaged data make the file refused; trace messages (level >= 0)
// are dropped: stdout and stderr belong to the server.
static void shim_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    shim_error *error = (shim_error *)cinfo->err;
    switch (cinfo->err->msg_code) {
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_EXTRANEOUS_DATA:  // stray bytes between segments, common in camera files
    case JWRN_BOGUS_ICC:        // colour profiles are not used
        return;
    default:
        break;
    }
    if (!error->corrupt) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        copy_message(error->message, sizeof error->message, text);
    }
    error->corrupt = 1;
    cinfo->err->num_warnings++;
}

static void shim_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void source_init(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean source_fill(j_decompress_ptr cinfo) {
    shim_error *error = (shim_error *)cinfo->err;
    error->truncated = 1;
    ERREXIT(cinfo, JERR_INPUT_EOF);
    return FALSE;
}

static void source_skip(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *source = cinfo->src;
    if (count <= 0) return;
    if ((size_t)count > source->bytes_in_buffer) {
        source->next_input_byte += source->bytes_in_buffer;
        source->bytes_in_buffer = 0;
        source_fill(cinfo);
        return;
    }
    source->next_input_byte += count;
    source->bytes_in_buffer -= (size_t)count;
}

static void source_term(j_decompress_ptr cinfo) { (void)cinfo; }

static void progress_monitor(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    shim_error *error = (shim_error *)cinfo->err;
    if (error->max_scans > 0 && decompress->input_scan_number > (int)error->max_scans) {
        error->too_many_scans = 1;
        copy_message(error->message, sizeof error->message, "too many progressive scans");
        longjmp(error->jump, 1);
    }
}

static void init_error(shim_error *error) {
    jpeg_std_error(&error->manager);
    error->manager.error_exit = shim_error_exit;
    error->manager.emit_message = shim_emit_message;
    error->manager.output_message = shim_output_message;
}

jpegshim_decoder *jpegshim_decoder_create(const uint8_t *data, size_t size) {
    jpegshim_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    decoder->data = data;
    decoder->size = data == NULL ? 0 : size;
    init_error(&decoder->error);
    decoder->info.err = &decoder->error.manager;
    if (setjmp(decoder->error.jump)) {
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    decoder->created = 1;
    decoder->source.init_source = source_init;
    decoder->source.fill_input_buffer = source_fill;
    decoder->source.skip_input_data = source_skip;
    decoder->source.resync_to_restart = jpeg_resync_to_restart;
    decoder->source.term_source = source_term;
    decoder->source.next_input_byte = decoder->data;
    decoder->source.bytes_in_buffer = decoder->size;
    decoder->info.src = &decoder->source;
    decoder->progress.progress_monitor = progress_monitor;
    decoder->info.progress = &decoder->progress;
    return decoder;
}

static uint32_t read16(const uint8_t *p, int little) {
    return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t read32(const uint8_t *p, int little) {
    return little ? read16(p, 1) | read16(p + 2, 1) << 16 : read16(p, 0) << 16 | read16(p + 2, 0);
}

// The Orientation tag (0x0112, SHORT) of IFD0 in an APP1 "Exif\0\0" TIFF block; 1 otherwise.
static uint32_t exif_orientation(const uint8_t *data, size_t size) {
    if (size < 6 + 8 || memcmp(data, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *tiff = data + 6;
    size_t length = size - 6;
    int little;
    if (tiff[0] == 'I' && tiff[1] == 'I') little = 1;
    else if (tiff[0] == 'M' && tiff[1] == 'M') little = 0;
    else return 1;
    if (read16(tiff + 2, little) != 42) return 1;
    uint32_t ifd = read32(tiff + 4, little);
    if (ifd > length || length - ifd < 2) return 1;
    uint32_t entries = read16(tiff + ifd, little);
    for (uint32_t i = 0; i < entries; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at > length || length - at < 12) return 1;
        if (read16(tiff + at, little) != 0x0112) continue;
        if (read16(tiff + at + 2, little) != 3) return 1;  // SHORT
        uint32_t value = read16(tiff + at + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
    }
    return 1;
}

static jpegshim_status decoder_failure(jpegshim_decoder *decoder) {
    decoder->failed = 1;
    if (decoder->error.truncated) return JPEGSHIM_TRUNCATED;
    if (decoder->error.too_many_scans) return JPEGSHIM_UNSUPPORTED;
    switch (decoder->error.manager.msg_code) {
    case JERR_EMPTY_IMAGE:  // also raised for a component count of 0
        if (decoder->info.image_width != 0 && decoder->info.image_height != 0) {
            return JPEGSHIM_LIBJPEG_ERROR;
        }
        decoder->header.width = decoder->info.image_width;
        decoder->header.height = decoder->info.image_height;
        return JPEGSHIM_ZERO_DIMENSIONS;
    case JERR_IMAGE_TOO_BIG:
        decoder->header.width = decoder->info.image_width;
        decoder->header.height = decoder->info.image_height;
        return JPEGSHIM_OVER_LIMIT;
    case JERR_OUT_OF_MEMORY:
    case JERR_NO_BACKING_STORE:
        return JPEGSHIM_OUT_OF_MEMORY;
    default:
        return JPEGSHIM_LIBJPEG_ERROR;
    }
}

jpegshim_status jpegshim_decoder_read_header(jpegshim_decoder *decoder, uint32_t max_width,
                                             uint32_t max_height, uint64_t max_pixels,
                                             uint32_t max_scans, size_t max_memory,
                                             jpegshim_header *header) {
    if (decoder == NULL || header == NULL || decoder->failed || decoder->header_done) {
        if (decoder != NULL) copy_message(decoder->error.message, MESSAGE_CAPACITY,
                                          "read_header called out of order");
        return JPEGSHIM_BAD_CALL;
    }
    memset(header, 0, sizeof *header);
    decoder->error.max_scans = max_scans;
    j_decompress_ptr info = &decoder->info;
    if (setjmp(decoder->error.jump)) {
        jpegshim_status status = decoder_failure(decoder);
        header->width = decoder->header.width;
        header->height = decoder->header.height;
        return status;
    }
    info->mem->max_memory_to_use = (long)(max_memory > 0x7fffffff ? 0x7fffffff : max_memory);
    jpeg_save_markers(info, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(info, TRUE);
    if (decoder->error.corrupt) {
        decoder->failed = 1;
        return JPEGSHIM_CORRUPT;
    }
    header->width = info->image_width;
    header->height = info->image_height;
    header->components = (uint32_t)info->num_components;
    header->progressive = info->progressive_mode ? 1 : 0;
    header->adobe_marker = info->saw_Adobe_marker ? 1 : 0;
    header->orientation = 1;
    for (jpeg_saved_marker_ptr marker = info->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            header->orientation = exif_orientation(marker->data, marker->data_length);
            break;
        }
    }
    decoder->header = *header;
    if (info->image_width == 0 || info->image_height == 0) {
        decoder->failed = 1;
        return JPEGSHIM_ZERO_DIMENSIONS;
    }
    if (info->image_width > max_width || info->image_height > max_height ||
        (uint64_t)info->image_width * (uint64_t)info->image_height > max_pixels) {
        copy_message(decoder->error.message, MESSAGE_CAPACITY, "image over the limits");
        decoder->failed = 1;
        return JPEGSHIM_OVER_LIMIT;
    }
    switch (info->jpeg_color_space) {
    case JCS_GRAYSCALE: header->color_space = JPEGSHIM_GRAY; break;
    case JCS_RGB: header->color_space = JPEGSHIM_RGB; break;
    case JCS_YCbCr: header->color_space = JPEGSHIM_YCBCR; break;
    case JCS_CMYK: header->color_space = JPEGSHIM_CMYK; break;
    case JCS_YCCK: header->color_space = JPEGSHIM_YCCK; break;
    default:
        copy_message(decoder->error.message, MESSAGE_CAPACITY, "unknown JPEG colour space");
        decoder->failed = 1;
        return JPEGSHIM_UNSUPPORTED;
    }
    decoder->header = *header;
    decoder->header_done = 1;
    return JPEGSHIM_OK;
}

static uint8_t un_ink(uint8_t c, uint8_t k) {
    // (255 - C) * (255 - K) / 255, rounded.
    unsigned product = (unsigned)(255 - c) * (unsigned)(255 - k);
    return (uint8_t)((product + 127) / 255);
}

jpegshim_status jpegshim_decoder_read_pixels(jpegshim_decoder *decoder, uint8_t *pixels,
                                             size_t pixels_size) {
    if (decoder == NULL || pixels == NULL || decoder->failed || !decoder->header_done ||
        decoder->started) {
        if (decoder != NULL) copy_message(decoder->error.message, MESSAGE_CAPACITY,
                                          "read_pixels called out of order");
        return JPEGSHIM_BAD_CALL;
    }
    size_t width = decoder->header.width;
    size_t height = decoder->header.height;
    if (pixels_size / (width * 3) < height) {
        copy_message(decoder->error.message, MESSAGE_CAPACITY, "pixel buffer too small");
        return JPEGSHIM_BAD_CALL;
    }
    int ink = decoder->header.color_space == JPEGSHIM_CMYK ||
              decoder->header.color_space == JPEGSHIM_YCCK;
    int inverted = ink && decoder->header.adobe_marker;
    j_decompress_ptr info = &decoder->info;
    decoder->started = 1;
    if (setjmp(decoder->error.jump)) return decoder_failure(decoder);
    info->out_color_space = ink ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(info);
    if (info->output_width != width || info->output_height != height ||
        info->output_components != (ink ? 4 : 3)) {
        copy_message(decoder->error.message, MESSAGE_CAPACITY,
                     "libjpeg did not produce the expected output geometry");
        decoder->failed = 1;
        return JPEGSHIM_BAD_CALL;
    }
    if (ink) {
        decoder->row = malloc(width * 4);
        if (decoder->row == NULL) {
            copy_message(decoder->error.message, MESSAGE_CAPACITY, "out of memory for a row");
            decoder->failed = 1;
            return JPEGSHIM_OUT_OF_MEMORY;
        }
    }
    while (info->output_scanline < info->output_height) {
        size_t y = info->output_scanline;
        uint8_t *target = pixels + y * width * 3;
        JSAMPROW row = ink ? decoder->row : target;
        if (jpeg_read_scanlines(info, &row, 1) != 1) {
            copy_message(decoder->error.message, MESSAGE_CAPACITY, "no scanline decoded");
            decoder->failed = 1;
            return JPEGSHIM_LIBJPEG_ERROR;
        }
        if (ink) {
            const uint8_t *cmyk = decoder->row;
            for (size_t x = 0; x < width; x++) {
                uint8_t c = cmyk[4 * x], m = cmyk[4 * x + 1], ye = cmyk[4 * x + 2],
                        k = cmyk[4 * x + 3];
                if (inverted) {
                    c = 255 - c; m = 255 - m; ye = 255 - ye; k = 255 - k;
                }
                target[3 * x] = un_ink(c, k);
                target[3 * x + 1] = un_ink(m, k);
                target[3 * x + 2] = un_ink(ye, k);
            }
        }
    }
    jpeg_finish_decompress(info);
    if (decoder->error.corrupt) {
        decoder->failed = 1;
        return JPEGSHIM_CORRUPT;
    }
    return JPEGSHIM_OK;
}

const char *jpegshim_decoder_message(const jpegshim_decoder *decoder) {
    return decoder == NULL ? "" : decoder->error.message;
}

void jpegshim_decoder_destroy(jpegshim_decoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->created) jpeg_destroy_decompress(&decoder->info);
    free(decoder->row);
    free(decoder);
}

typedef struct {
    struct jpeg_compress_struct info;
    shim_error error;
    unsigned char *buffer;
    unsigned long buffer_size;
    int created;
} shim_encoder;

static void write_exif_orientation(j_compress_ptr info, uint32_t orientation) {
    // "Exif\0\0", then a big-endian TIFF header and IFD0 with one SHORT entry.
    const uint8_t block[] = {
        'E', 'x', 'i', 'f', 0, 0,
        'M', 'M', 0, 42, 0, 0, 0, 8,
        0, 1,
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (uint8_t)orientation, 0, 0,
        0, 0, 0, 0,
    };
    jpeg_write_marker(info, JPEG_APP0 + 1, block, sizeof block);
}

jpegshim_status jpegshim_encode(const jpegshim_encode_params *params, uint8_t **output,
                                size_t *output_size, char *message, size_t message_capacity) {
    if (params == NULL || output == NULL || output_size == NULL || params->samples == NULL ||
        params->width == 0 || params->height == 0 ||
        !(params->components == 1 || params->components == 3 || params->components == 4) ||
        params->row_stride < (size_t)params->width * params->components ||
        params->quality < 1 || params->quality > 100 || params->exif_orientation > 8) {
        copy_message(message, message_capacity, "invalid encode parameters");
        return JPEGSHIM_BAD_CALL;
    }
    if (params->width > JPEG_MAX_DIMENSION || params->height > JPEG_MAX_DIMENSION) {
        copy_message(message, message_capacity, "image wider or taller than JPEG's 65500");
        return JPEGSHIM_OVER_LIMIT;
    }
    *output = NULL;
    *output_size = 0;
    shim_encoder *encoder = calloc(1, sizeof *encoder);
    if (encoder == NULL) {
        copy_message(message, message_capacity, "out of memory");
        return JPEGSHIM_OUT_OF_MEMORY;
    }
    init_error(&encoder->error);
    encoder->info.err = &encoder->error.manager;
    if (setjmp(encoder->error.jump)) {
        copy_message(message, message_capacity, encoder->error.message);
        if (encoder->created) jpeg_destroy_compress(&encoder->info);
        free(encoder->buffer);
        free(encoder);
        return JPEGSHIM_LIBJPEG_ERROR;
    }
    j_compress_ptr info = &encoder->info;
    jpeg_create_compress(info);
    encoder->created = 1;
    jpeg_mem_dest(info, &encoder->buffer, &encoder->buffer_size);
    info->image_width = params->width;
    info->image_height = params->height;
    info->input_components = (int)params->components;
    info->in_color_space = params->components == 1 ? JCS_GRAYSCALE
                           : params->components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(info);
    if (params->components == 4 && params->ycck) jpeg_set_colorspace(info, JCS_YCCK);
    jpeg_set_quality(info, params->quality, TRUE);
    if (params->full_chroma) {
        for (int c = 0; c < info->num_components; c++) {
            info->comp_info[c].h_samp_factor = 1;
            info->comp_info[c].v_samp_factor = 1;
        }
    }
    if (params->progressive) jpeg_simple_progression(info);
    jpeg_start_compress(info, TRUE);
    if (params->exif_orientation > 0) write_exif_orientation(info, params->exif_orientation);
    while (info->next_scanline < info->image_height) {
        JSAMPROW row = (JSAMPROW)(params->samples + (size_t)info->next_scanline * params->row_stride);
        jpeg_write_scanlines(info, &row, 1);
    }
    jpeg_finish_compress(info);
    jpeg_destroy_compress(info);
    *output = encoder->buffer;
    *output_size = encoder->buffer_size;
    free(encoder);
    return JPEGSHIM_OK;
}

void jpegshim_free(void *pointer) { free(pointer); }
