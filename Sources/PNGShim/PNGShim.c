// PNGShim: libpng decode and encode behind setjmp, so that libpng's longjmp-based error
// reporting never unwinds Swift frames. See include/PNGShim.h for the contract.
//
// Every function that calls into libpng sets its own setjmp point first; the error handler
// copies the message and longjmps back to it. State that must survive the longjmp lives in the
// heap-allocated decoder/encoder context (never in non-volatile locals).

#include "PNGShim.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MESSAGE_CAPACITY = 256 };

struct pngshim_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    /// Row pointer array for read_pixels, owned here so a longjmp cannot leak it.
    png_bytep *rows;
    /// Set by the callbacks and read after a longjmp to classify the failure.
    int truncated;
    int zero_dimensions;
    int over_limit;
    /// After any libpng error the png_struct is unusable; later calls are refused.
    int failed;
    int header_done;
    pngshim_header header;
    char message[MESSAGE_CAPACITY];
    char warning[MESSAGE_CAPACITY];
};

static void copy_message(char *destination, size_t capacity, const char *text) {
    if (capacity == 0) return;
    if (text == NULL) text = "";
    strncpy(destination, text, capacity - 1);
    destination[capacity - 1] = '\0';
}

// png_check_IHDR warns with the precise reason ("Invalid bit depth in IHDR") and then fails
// with a generic "Invalid IHDR data"; the reason is worth keeping in the message.
static void compose_message(char *destination, size_t capacity, const char *text,
                            const char *warning) {
    if (text != NULL && warning[0] != '\0' && strcmp(text, "Invalid IHDR data") == 0) {
        snprintf(destination, capacity, "%s (%s)", text, warning);
    } else {
        copy_message(destination, capacity, text);
    }
}

static void decoder_error(png_structp png, png_const_charp text) {
    pngshim_decoder *decoder = (pngshim_decoder *)png_get_error_ptr(png);
    compose_message(decoder->message, sizeof decoder->message, text, decoder->warning);
    png_longjmp(png, 1);
}

// Warnings are recorded rather than printed: stdout/stderr belong to the server. Two of them
// matter: png_check_IHDR warns with the precise reason and then fails with the generic
// "Invalid IHDR data", so the warning is what tells a zero or over-limit size apart.
static void decoder_warning(png_structp png, png_const_charp text) {
    pngshim_decoder *decoder = (pngshim_decoder *)png_get_error_ptr(png);
    if (text == NULL) return;
    copy_message(decoder->warning, sizeof decoder->warning, text);
    if (strstr(text, "is zero in IHDR") != NULL) decoder->zero_dimensions = 1;
    if (strstr(text, "exceeds user limit in IHDR") != NULL) decoder->over_limit = 1;
}

static void decoder_read(png_structp png, png_bytep out, size_t count) {
    pngshim_decoder *decoder = (pngshim_decoder *)png_get_io_ptr(png);
    if (count > decoder->size - decoder->offset) {
        decoder->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, decoder->data + decoder->offset, count);
    decoder->offset += count;
}

static uint32_t big_endian_u32(const uint8_t *bytes) {
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) |
           (uint32_t)bytes[3];
}

// libpng only rejects IHDR after it has read the chunk and verified its CRC, and IHDR must be
// the first chunk, so its width and height sit at bytes 16...23 of the input.
static void record_ihdr_size(pngshim_decoder *decoder, pngshim_header *header) {
    if (decoder->size >= 24 && memcmp(decoder->data + 12, "IHDR", 4) == 0) {
        header->width = big_endian_u32(decoder->data + 16);
        header->height = big_endian_u32(decoder->data + 20);
    }
}

static pngshim_status decoder_failure(pngshim_decoder *decoder) {
    decoder->failed = 1;
    if (decoder->truncated) return PNGSHIM_TRUNCATED;
    if (decoder->zero_dimensions) return PNGSHIM_ZERO_DIMENSIONS;
    if (decoder->over_limit) return PNGSHIM_OVER_LIMIT;
    return PNGSHIM_LIBPNG_ERROR;
}

// libpng checks a chunk's CRC only after consuming all of its data, and it inflates IDAT as it
// reads, so a damaged IDAT usually surfaces as a zlib error ("incorrect data check") first.
// Checking every CRC up front reports damage as damage, whatever byte was hit. Chunks that run
// past the end of the input are left to libpng, which reports the truncation.
static int find_crc_error(pngshim_decoder *decoder) {
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    const uint8_t *data = decoder->data;
    size_t offset = 8;
    while (decoder->size >= offset && decoder->size - offset >= 12) {
        uint32_t length = big_endian_u32(data + offset);
        if (length > 0x7fffffffu || decoder->size - offset - 12 < length) return 0;
        uint32_t crc = 0xffffffffu;
        const uint8_t *covered = data + offset + 4;  // type and data
        for (size_t i = 0; i < (size_t)length + 4; i++) {
            crc = table[(crc ^ covered[i]) & 0xff] ^ (crc >> 8);
        }
        if ((crc ^ 0xffffffffu) != big_endian_u32(data + offset + 8 + length)) {
            char name[32];
            int printable = 1;
            for (int i = 0; i < 4; i++) {
                uint8_t c = covered[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) printable = 0;
            }
            if (printable) {
                snprintf(name, sizeof name, "%.4s", (const char *)covered);
            } else {
                snprintf(name, sizeof name, "[%02x%02x%02x%02x]", covered[0], covered[1],
                         covered[2], covered[3]);
            }
            copy_message(decoder->message, sizeof decoder->message, name);
            return 1;
        }
        if (memcmp(covered, "IEND", 4) == 0) return 0;
        offset += 12 + (size_t)length;
    }
    return 0;
}

pngshim_decoder *pngshim_decoder_create(const uint8_t *data, size_t size) {
    pngshim_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    decoder->data = data;
    decoder->size = data == NULL ? 0 : size;
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, decoder_error,
                                          decoder_warning);
    if (decoder->png != NULL) decoder->info = png_create_info_struct(decoder->png);
    if (decoder->png == NULL || decoder->info == NULL) {
        pngshim_decoder_destroy(decoder);
        return NULL;
    }
    png_set_read_fn(decoder->png, decoder, decoder_read);
    return decoder;
}

pngshim_status pngshim_decoder_read_header(pngshim_decoder *decoder, uint32_t max_width,
                                           uint32_t max_height, uint64_t max_pixels,
                                           size_t max_chunk_bytes, pngshim_header *header) {
    if (decoder == NULL || header == NULL || decoder->failed || decoder->header_done) {
        if (decoder != NULL) copy_message(decoder->message, sizeof decoder->message,
                                          "read_header called out of order");
        return PNGSHIM_BAD_CALL;
    }
    memset(header, 0, sizeof *header);
    if (find_crc_error(decoder)) {
        decoder->failed = 1;
        return PNGSHIM_CRC_ERROR;
    }
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    if (setjmp(png_jmpbuf(png))) {
        pngshim_status status = decoder_failure(decoder);
        if (status == PNGSHIM_ZERO_DIMENSIONS || status == PNGSHIM_OVER_LIMIT) {
            record_ihdr_size(decoder, header);
        }
        return status;
    }

    // Limits first, so a hostile IHDR or ancillary chunk is refused before anything is sized
    // from it. libpng's user limits cannot exceed PNG's own 2^31-1.
    png_set_user_limits(png, max_width > 0x7fffffffu ? 0x7fffffffu : max_width,
                        max_height > 0x7fffffffu ? 0x7fffffffu : max_height);
    png_set_chunk_malloc_max(png, max_chunk_bytes);
    // A damaged ancillary chunk is a damaged file; by default libpng would only warn.
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);

    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    // png_read_update_info below allocates row buffers sized from the width; refuse an
    // over-limit image before that (IHDR already passed libpng's own checks, so both are > 0).
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        header->width = width;
        header->height = height;
        copy_message(decoder->message, sizeof decoder->message, "image over the pixel limit");
        decoder->failed = 1;
        return PNGSHIM_OVER_LIMIT;
    }
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;

    // Everything becomes 8-bit RGB(A): palette -> RGB, low-depth gray -> 8-bit, a tRNS entry or
    // colour key -> an alpha channel, 16-bit -> 8-bit rounded (scale_16 computes
    // round(v * 255 / 65535), where strip_16 would truncate), gray -> RGB.
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_scale_16(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    uint32_t channels = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || channels != (has_alpha ? 4u : 3u) ||
        png_get_rowbytes(png, info) != (size_t)width * channels) {
        copy_message(decoder->message, sizeof decoder->message,
                     "libpng transforms did not produce 8-bit RGB or RGBA");
        decoder->failed = 1;
        return PNGSHIM_BAD_CALL;
    }
    header->width = width;
    header->height = height;
    header->channels = channels;
    header->source_bit_depth = (uint32_t)bit_depth;
    header->source_color_type = (uint32_t)color_type;
    header->interlaced = interlace != PNG_INTERLACE_NONE;
    decoder->header = *header;
    decoder->header_done = 1;
    return PNGSHIM_OK;
}

pngshim_status pngshim_decoder_read_pixels(pngshim_decoder *decoder, uint8_t *pixels,
                                           size_t pixels_size) {
    if (decoder == NULL || pixels == NULL || decoder->failed || !decoder->header_done ||
        decoder->rows != NULL) {
        if (decoder != NULL) copy_message(decoder->message, sizeof decoder->message,
                                          "read_pixels called out of order");
        return PNGSHIM_BAD_CALL;
    }
    size_t row_bytes = (size_t)decoder->header.width * decoder->header.channels;
    size_t height = decoder->header.height;
    if (pixels_size / row_bytes < height) {
        copy_message(decoder->message, sizeof decoder->message, "pixel buffer too small");
        return PNGSHIM_BAD_CALL;
    }
    decoder->rows = malloc(height * sizeof(png_bytep));
    if (decoder->rows == NULL) {
        copy_message(decoder->message, sizeof decoder->message, "out of memory for row pointers");
        return PNGSHIM_OUT_OF_MEMORY;
    }
    for (size_t y = 0; y < height; y++) decoder->rows[y] = pixels + y * row_bytes;

    png_structp png = decoder->png;
    if (setjmp(png_jmpbuf(png))) return decoder_failure(decoder);
    png_read_image(png, decoder->rows);
    // Reads (and CRC-checks) the chunks after the image data up to IEND.
    png_read_end(png, NULL);
    return PNGSHIM_OK;
}

const char *pngshim_decoder_message(const pngshim_decoder *decoder) {
    return decoder == NULL ? "" : decoder->message;
}

void pngshim_decoder_destroy(pngshim_decoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->png != NULL) {
        png_destroy_read_struct(&decoder->png, decoder->info != NULL ? &decoder->info : NULL,
                                NULL);
    }
    free(decoder->rows);
    free(decoder);
}

// MARK: Encode

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    png_bytep *rows;
    char message[MESSAGE_CAPACITY];
    char warning[MESSAGE_CAPACITY];
} encoder_context;

static void encoder_error(png_structp png, png_const_charp text) {
    encoder_context *context = (encoder_context *)png_get_error_ptr(png);
    compose_message(context->message, sizeof context->message, text, context->warning);
    png_longjmp(png, 1);
}

static void encoder_warning(png_structp png, png_const_charp text) {
    encoder_context *context = (encoder_context *)png_get_error_ptr(png);
    copy_message(context->warning, sizeof context->warning, text);
}

static void encoder_write(png_structp png, png_bytep bytes, size_t count) {
    encoder_context *context = (encoder_context *)png_get_io_ptr(png);
    if (count > context->capacity - context->size) {
        size_t capacity = context->capacity == 0 ? 4096 : context->capacity;
        while (count > capacity - context->size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "encoded PNG too large");
            capacity *= 2;
        }
        uint8_t *grown = realloc(context->data, capacity);
        if (grown == NULL) png_error(png, "out of memory for the encoded PNG");
        context->data = grown;
        context->capacity = capacity;
    }
    memcpy(context->data + context->size, bytes, count);
    context->size += count;
}

static void encoder_flush(png_structp png) { (void)png; }

pngshim_status pngshim_encode(const pngshim_encode_params *params, uint8_t **out,
                              size_t *out_size, char *message, size_t message_capacity) {
    if (out == NULL || out_size == NULL) return PNGSHIM_BAD_CALL;
    *out = NULL;
    *out_size = 0;
    if (params == NULL || params->rows == NULL || params->height == 0) {
        copy_message(message, message_capacity, "missing parameters or rows");
        return PNGSHIM_BAD_CALL;
    }
    encoder_context *context = calloc(1, sizeof *context);
    if (context == NULL) {
        copy_message(message, message_capacity, "out of memory");
        return PNGSHIM_OUT_OF_MEMORY;
    }
    context->rows = malloc(params->height * sizeof(png_bytep));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, context, encoder_error,
                                              encoder_warning);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (context->rows == NULL || png == NULL || info == NULL) {
        png_destroy_write_struct(png == NULL ? NULL : &png, info == NULL ? NULL : &info);
        free(context->rows);
        free(context);
        copy_message(message, message_capacity, "out of memory");
        return PNGSHIM_OUT_OF_MEMORY;
    }
    for (uint32_t y = 0; y < params->height; y++) {
        // libpng takes non-const rows but only reads them when no write transforms are set.
        context->rows[y] = (png_bytep)(uintptr_t)(params->rows + (size_t)y * params->row_stride);
    }

    if (setjmp(png_jmpbuf(png))) {
        copy_message(message, message_capacity, context->message);
        png_destroy_write_struct(&png, &info);
        free(context->data);
        free(context->rows);
        free(context);
        return PNGSHIM_LIBPNG_ERROR;
    }
    png_set_write_fn(png, context, encoder_write, encoder_flush);
    png_set_compression_level(png, params->compression_level);
    png_set_IHDR(png, info, params->width, params->height, (int)params->bit_depth,
                 (int)params->color_type,
                 params->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (params->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[256];
        uint32_t count = params->palette_count > 256 ? 256 : params->palette_count;
        for (uint32_t i = 0; i < count; i++) {
            palette[i].red = params->palette_rgb[3 * i];
            palette[i].green = params->palette_rgb[3 * i + 1];
            palette[i].blue = params->palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, palette, (int)count);
        if (params->palette_alpha != NULL && params->palette_alpha_count > 0) {
            png_set_tRNS(png, info, params->palette_alpha, (int)params->palette_alpha_count,
                         NULL);
        }
    } else if (params->has_trns_color) {
        png_color_16 key;
        memset(&key, 0, sizeof key);
        key.gray = params->trns_gray;
        key.red = params->trns_red;
        key.green = params->trns_green;
        key.blue = params->trns_blue;
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    png_write_info(png, info);
    png_write_image(png, context->rows);
    png_write_end(png, NULL);

    png_destroy_write_struct(&png, &info);
    *out = context->data;
    *out_size = context->size;
    free(context->rows);
    free(context);
    return PNGSHIM_OK;
}

void pngshim_free(void *pointer) { free(pointer); }
