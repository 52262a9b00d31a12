//! Images and documents in a Converse request body, read and checked as
//! the service checks them: the format's magic bytes, the document name's
//! characters, the size limits.

use agent_core::{Blob, Document, DocumentFormat, Image, ImageFormat, MediaSource};
use serde_json::Value;
use tool_api::media::{MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, is_valid_document_name};

fn source(v: &Value, at: &str) -> Result<(MediaSource, Option<Blob>), String> {
    if let Some(b) = v.pointer("/source/bytes") {
        let blob = b.as_str().and_then(Blob::from_base64).ok_or_else(|| {
            format!("1 validation error detected: Value at '{at}.source.bytes' failed to satisfy constraint: Member must be valid base64")
        })?;
        return Ok((MediaSource::Bytes(blob.clone()), Some(blob)));
    }
    if let Some(l) = v.pointer("/source/s3Location") {
        let uri = l.get("uri").and_then(Value::as_str).unwrap_or_default();
        if !uri.starts_with("s3://") {
            return Err(format!(
                "1 validation error detected: Value '{uri}' at '{at}.source.s3Location.uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://..."
            ));
        }
        return Ok((
            MediaSource::S3 {
                uri: uri.to_owned(),
                bucket_owner: l
                    .get("bucketOwner")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            None,
        ));
    }
    Err(format!(
        "1 validation error detected: Value null at '{at}.source' failed to satisfy constraint: Member must not be null"
    ))
}

/// An `image` block at `at` (`messages.0.content.1.image`...).
pub(crate) fn image(v: &Value, at: &str) -> Result<Image, String> {
    let name = v.get("format").and_then(Value::as_str).unwrap_or_default();
    let format = ImageFormat::from_name(name).ok_or_else(|| {
        format!(
            "1 validation error detected: Value '{name}' at '{at}.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"
        )
    })?;
    let (source, bytes) = source(v, at)?;
    if let Some(bytes) = bytes {
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(format!(
                "The image at {at} is too large: images must be at most {MAX_IMAGE_BYTES} bytes."
            ));
        }
        if ImageFormat::sniff(&bytes) != Some(format) {
            return Err(format!(
                "The image at {at} could not be processed: its bytes are not a valid {} image. \
                 Check the image and its format, and try again.",
                format.as_str()
            ));
        }
    }
    Ok(Image { format, source })
}

/// A `document` block at `at`.
pub(crate) fn document(v: &Value, at: &str) -> Result<Document, String> {
    let name_of_format = v.get("format").and_then(Value::as_str).unwrap_or_default();
    let format = DocumentFormat::ALL
        .into_iter()
        .find(|f| f.as_str() == name_of_format)
        .ok_or_else(|| {
            format!(
                "1 validation error detected: Value '{name_of_format}' at '{at}.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"
            )
        })?;
    let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
    if !is_valid_document_name(name) {
        return Err(
            "The document file name can only contain alphanumeric characters, whitespace \
             characters, hyphens, parentheses, and square brackets. The name can't contain more \
             than one consecutive whitespace character."
                .into(),
        );
    }
    let (source, bytes) = source(v, at)?;
    if let Some(bytes) = bytes {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "The document at {at} is too large: documents must be at most {MAX_DOCUMENT_BYTES} bytes."
            ));
        }
        let binary_ok = match format {
            DocumentFormat::Pdf => bytes.starts_with(b"%PDF-"),
            DocumentFormat::Doc | DocumentFormat::Xls => {
                bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
            }
            DocumentFormat::Docx | DocumentFormat::Xlsx => bytes.starts_with(b"PK\x03\x04"),
            _ => std::str::from_utf8(&bytes).is_ok(),
        };
        if !binary_ok {
            return Err(format!(
                "The document at {at} could not be processed: its bytes are not a valid {} file.",
                format.as_str()
            ));
        }
    }
    Ok(Document {
        name: name.to_owned(),
        format,
        source,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn magic_bytes_and_names_are_checked() {
        let png = Blob::from(b"\x89PNG\r\n\x1a\n".to_vec()).to_base64();
        let ok = json!({"format": "png", "source": {"bytes": png}});
        assert!(image(&ok, "m").is_ok());
        let wrong = json!({"format": "jpeg", "source": {"bytes": png}});
        assert!(image(&wrong, "m").unwrap_err().contains("not a valid jpeg"));
        let pdf = Blob::from(b"%PDF-1.4".to_vec()).to_base64();
        let bad_name = json!({"format": "pdf", "name": "a.pdf", "source": {"bytes": pdf}});
        assert!(document(&bad_name, "m").unwrap_err().contains("file name"));
        let good = json!({"format": "pdf", "name": "a (1)", "source": {"bytes": pdf}});
        assert!(document(&good, "m").is_ok());
    }
}
