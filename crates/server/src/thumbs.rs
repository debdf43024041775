//! Thumbnails of uploaded images: decoded with `image` under a pixel limit (a decompression
//! bomb — a small file that would be gigabytes of pixels — is refused before it is decoded),
//! turned upright by its EXIF orientation, resized by `fast_image_resize` (SIMD, Lanczos) to fit
//! [`THUMB_SIDE`], and encoded as JPEG. Pure and blocking: call it on a blocking thread.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// A thumbnail fits in a square of this side (sharp on a high-density screen at half size).
pub const THUMB_SIDE: u32 = 480;
/// Images with more pixels than this are refused (a 40-megapixel photo is fine).
pub const MAX_PIXELS: u64 = 50_000_000;

/// An image's size and its thumbnail.
#[derive(Debug, Clone)]
pub struct Made {
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// Why no thumbnail was made.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// More pixels than [`MAX_PIXELS`]: the upload is refused.
    TooManyPixels { width: u32, height: u32 },
    /// Its decoded pixels would take more than [`MAX_DECODED_BYTES`]: the upload is refused.
    TooMuchMemory { width: u32, height: u32, bytes: u64 },
    /// Not an image this server decodes (or a damaged one): kept as a file, without thumbnail.
    Undecodable(String),
}

/// Whether a media type is one this server makes thumbnails of.
pub fn wanted(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// The most memory one thumbnail may take (the decoded image and its RGB copy): a 190 KB
/// PNG of 49.99 million RGBA pixels under the pixel limit cost ~300 MB. A 12-megapixel photo
/// takes ~36 MB, a 40-megapixel RGB one ~120 MB.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// What making this image's thumbnail would cost in memory, read from its header alone (nothing
/// is decoded): refused past [`MAX_PIXELS`] or [`MAX_DECODED_BYTES`].
pub fn cost(bytes: &[u8]) -> Result<u64, Refusal> {
    let decoder = decoder(bytes)?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(Refusal::TooManyPixels {
            width: w,
            height: h,
        });
    }
    let rgb_copy = if decoder.color_type() == image::ColorType::Rgb8 {
        0
    } else {
        pixels * 3
    };
    let bytes = decoder.total_bytes() + rgb_copy;
    if bytes > MAX_DECODED_BYTES {
        return Err(Refusal::TooMuchMemory {
            width: w,
            height: h,
            bytes,
        });
    }
    Ok(bytes)
}

fn decoder(bytes: &[u8]) -> Result<Box<dyn image::ImageDecoder + '_>, Refusal> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader
        .into_decoder()
        .map(|d| Box::new(d) as Box<dyn image::ImageDecoder>)
        .map_err(|e| Refusal::Undecodable(e.to_string()))
}

pub fn make(bytes: &[u8]) -> Result<Made, Refusal> {
    let undecodable = |e: image::ImageError| Refusal::Undecodable(e.to_string());
    cost(bytes)?;
    let mut decoder = decoder(bytes)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    // Transparency is laid on white (a JPEG has none); the resizer works on RGB8.
    let rgb = flatten(img);
    let scale = f64::from(THUMB_SIDE) / f64::from(width.max(height));
    let (tw, th) = if scale >= 1.0 {
        (width, height)
    } else {
        (
            ((f64::from(width) * scale).round() as u32).max(1),
            ((f64::from(height) * scale).round() as u32).max(1),
        )
    };
    let src = DynamicImage::ImageRgb8(rgb);
    let mut dst = fast_image_resize::images::Image::new(tw, th, fast_image_resize::PixelType::U8x3);
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3),
    );
    fast_image_resize::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| Refusal::Undecodable(format!("resizing: {e}")))?;
    let mut thumb = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut thumb, 82);
    image::ImageEncoder::write_image(
        encoder,
        dst.buffer(),
        tw,
        th,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(undecodable)?;
    Ok(Made {
        width,
        height,
        thumb,
        thumb_width: tw,
        thumb_height: th,
    })
}

fn flatten(img: DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let mut out = image::RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(p[3]);
        for c in 0..3 {
            o[c] = ((u16::from(p[c]) * a + 255 * (255 - a)) / 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_gets_a_thumbnail_that_keeps_its_shape() {
        let made = make(&png(1200, 800)).unwrap();
        assert_eq!(
            (made.width, made.height, made.thumb_width, made.thumb_height),
            (1200, 800, 480, 320)
        );
        let back = image::load_from_memory(&made.thumb).unwrap();
        assert_eq!((back.width(), back.height()), (480, 320));
        // A small image is not blown up.
        let small = make(&png(100, 40)).unwrap();
        assert_eq!((small.thumb_width, small.thumb_height), (100, 40));
    }

    /// The CRC of a PNG chunk (its type and data).
    fn crc32(bytes: &[u8]) -> u32 {
        crc32fast::hash(bytes)
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // A PNG header claiming 100000 × 100000 pixels: a few bytes, ten gigapixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        match make(&bomb) {
            Err(Refusal::TooManyPixels {
                width: 100_000,
                height: 100_000,
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            make(b"not an image at all"),
            Err(Refusal::Undecodable(_))
        ));
    }
}
