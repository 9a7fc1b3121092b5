/*
 * decode_webp.c - WebP with libwebp. WebPGetFeatures reads the declared
 * size without decoding; libwebp's own scaler shrinks on load, straight
 * into the output buffer. An animation gives its first frame (through
 * libwebpdemux), decoded as a still image of the frame's own size.
 */
#include <stdlib.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include "image_int.h"

static enum sg_image_status decode_still(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg))
        return SG_IMAGE_UNSUPPORTED;
    if (WebPGetFeatures(data, len, &cfg.input) != VP8_STATUS_OK)
        return SG_IMAGE_CORRUPT;
    if (cfg.input.has_animation)
        return SG_IMAGE_UNSUPPORTED;
    unsigned w = (unsigned)cfg.input.width, h = (unsigned)cfg.input.height;
    if (sg_idec_dims(d, w, h) != SG_IMAGE_OK)
        return SG_IMAGE_TOO_BIG;
    unsigned ow, oh;
    sg_idec_out_size(d, w, h, &ow, &oh);
    if (ow != w || oh != h) {
        cfg.options.use_scaling = 1;
        cfg.options.scaled_width = (int)ow;
        cfg.options.scaled_height = (int)oh;
    }
    uint8_t *px = malloc((size_t)ow * oh * 4);
    if (!px)
        return SG_IMAGE_TOO_BIG;
    cfg.output.colorspace = MODE_RGBA;   /* straight alpha; MODE_rgbA would premultiply */
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = px;
    cfg.output.u.RGBA.stride = (int)ow * 4;
    cfg.output.u.RGBA.size = (size_t)ow * oh * 4;
    VP8StatusCode rc = WebPDecode(data, len, &cfg);
    WebPFreeDecBuffer(&cfg.output);
    if (rc != VP8_STATUS_OK) {
        free(px);
        return rc == VP8_STATUS_OUT_OF_MEMORY ? SG_IMAGE_TOO_BIG :
               rc == VP8_STATUS_UNSUPPORTED_FEATURE ? SG_IMAGE_UNSUPPORTED : SG_IMAGE_CORRUPT;
    }
    img->w = ow;
    img->h = oh;
    img->src_w = w;
    img->src_h = h;
    img->rgba = px;
    return SG_IMAGE_OK;
}

enum sg_image_status sg_image_decode_webp(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    enum sg_image_status st = decode_still(data, len, d, img);
    if (st != SG_IMAGE_UNSUPPORTED)
        return st;
    WebPBitstreamFeatures feat;
    if (WebPGetFeatures(data, len, &feat) != VP8_STATUS_OK || !feat.has_animation)
        return st;
    /* The canvas's declared size is checked too, so a huge one is not
     * waved through by a small first frame. */
    struct sg_idec probe = *d;
    if (sg_idec_dims(&probe, (unsigned)feat.width, (unsigned)feat.height) != SG_IMAGE_OK)
        return SG_IMAGE_TOO_BIG;
    WebPData wd = {data, len};
    WebPDemuxer *dm = WebPDemux(&wd);
    if (!dm)
        return SG_IMAGE_CORRUPT;
    WebPIterator it;
    st = SG_IMAGE_CORRUPT;
    if (WebPDemuxGetFrame(dm, 1, &it)) {
        if (it.complete)
            st = decode_still(it.fragment.bytes, it.fragment.size, d, img);
        WebPDemuxReleaseIterator(&it);
    }
    WebPDemuxDelete(dm);
    return st;
}
