//! `--image PATH` and `--document PATH`: files sent with the prompt, each
//! checked before anything runs: readable, within the service's size limit
//! (Bedrock's: images 3.75 MB, documents 4.5 MB), and of a supported format
//! judged by its content (magic bytes), not only its name.

use std::path::{Path, PathBuf};

use agent_core::{ContentBlock, Document, Image};
use tool_api::media::{MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES};

use crate::exit::Failure;

/// The attachments for `--image` `images` and `--document` `documents`,
/// images first, each in the order given.
pub fn load(images: &[PathBuf], documents: &[PathBuf]) -> Result<Vec<ContentBlock>, Failure> {
    let mut blocks = Vec::with_capacity(images.len() + documents.len());
    for path in images {
        let bytes = read(path, "image", MAX_IMAGE_BYTES)?;
        let image = Image::from_bytes(bytes)
            .map_err(|e| Failure::Usage(format!("--image {}: {e}", path.display())))?;
        blocks.push(ContentBlock::Image(image));
    }
    for path in documents {
        let bytes = read(path, "document", MAX_DOCUMENT_BYTES)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let doc = Document::from_bytes(&name, bytes)
            .map_err(|e| Failure::Usage(format!("--document {}: {e}", path.display())))?;
        blocks.push(ContentBlock::Document(doc));
    }
    Ok(blocks)
}

/// The file's bytes; its size is checked before it is read, so a huge file
/// is refused without loading it.
fn read(path: &Path, what: &str, limit: usize) -> Result<Vec<u8>, Failure> {
    let flag = format!("--{what} {}", path.display());
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::Usage(format!("{flag}: cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err(Failure::Usage(format!("{flag}: not a file")));
    }
    if meta.len() > limit as u64 {
        return Err(Failure::Usage(format!(
            "{flag}: the file is {} bytes, over the {what} limit of {limit} bytes (Bedrock's)",
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| Failure::Usage(format!("{flag}: cannot read the file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_by_content_size_and_readability() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("chart.jpg");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n....").unwrap();
        let text = dir.path().join("photo.png");
        std::fs::write(&text, b"just text").unwrap();
        let notes = dir.path().join("notes.md");
        std::fs::write(&notes, b"# Notes").unwrap();
        let blocks = load(&[png], &[notes]).unwrap();
        assert!(
            matches!(&blocks[0], ContentBlock::Image(i) if i.format == agent_core::ImageFormat::Png)
        );
        assert!(matches!(&blocks[1], ContentBlock::Document(d) if d.name == "notes"));
        let Err(Failure::Usage(e)) = load(&[text], &[]) else {
            panic!("accepted text as an image")
        };
        assert!(e.contains("not a PNG, JPEG, GIF or WebP image"), "{e}");
        let Err(Failure::Usage(e)) = load(&[], &[dir.path().join("nope.pdf")]) else {
            panic!("accepted a missing file")
        };
        assert!(
            e.contains("--document") && e.contains("cannot read the file"),
            "{e}"
        );
    }
}
