//! Thumbnail time per image: a 12-megapixel JPEG from a phone camera (4000 × 3000, with an EXIF
//! orientation), a 2-megapixel PNG screenshot and a 640 × 480 JPEG, each made into its
//! thumbnail 11 times; the median, min and max in milliseconds.
//!
//! `cargo run --release -p careline-server --example thumb_bench`

use std::io::Cursor;
use std::time::Instant;

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 3 % 256) as u8,
            ((x ^ y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    // An EXIF orientation of 6, as a phone held upright writes.
    let exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
    let mut with = out[..2].to_vec();
    with.extend_from_slice(&[0xff, 0xe1]);
    with.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    with.extend_from_slice(exif);
    with.extend_from_slice(&out[2..]);
    with
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            200,
            if (x / 40 + y / 40) % 2 == 0 { 255 } else { 128 },
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn main() {
    for (name, bytes) in [
        ("12 MP JPEG (4000 × 3000, EXIF 6)", jpeg(4000, 3000)),
        ("2 MP PNG with alpha (1920 × 1080)", png(1920, 1080)),
        ("0.3 MP JPEG (640 × 480)", jpeg(640, 480)),
    ] {
        let mut times = Vec::new();
        let mut made = None;
        for _ in 0..11 {
            let t = Instant::now();
            made = Some(careline_server::thumbs::make(&bytes).expect("a thumbnail"));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let m = made.unwrap();
        println!(
            "{name}: {} KB → {}×{} thumbnail of {} KB; median {:.1} ms (min {:.1}, max {:.1})",
            bytes.len() / 1024,
            m.thumb_width,
            m.thumb_height,
            m.thumb.len() / 1024,
            times[5],
            times[0],
            times[10]
        );
    }
}
