//! Images and documents: what a user message or a tool result may carry
//! besides text and JSON.
//!
//! They live here, not in `agent-core`, because a tool returns them
//! ([`crate::ToolOutput`]) and the conversation carries them: one type for
//! both, so a tool's image reaches the model unconverted.

mod blob;
mod format;

pub use blob::Blob;
pub use format::{DocumentFormat, ImageFormat};

use serde::{Deserialize, Serialize};

/// The largest image the Converse API takes, in bytes (3.75 MB): the
/// tightest limit of the backends, so a file that passes it is taken by all.
pub const MAX_IMAGE_BYTES: usize = 3_750_000;

/// The largest document the Converse API takes, in bytes (4.5 MB).
pub const MAX_DOCUMENT_BYTES: usize = 4_500_000;

/// Where an image's or a document's bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// The bytes themselves (base64 in JSON).
    Bytes(Blob),
    /// An object in Amazon S3 (Bedrock only; the other backends refuse it).
    S3 {
        /// `s3://bucket/key`.
        uri: String,
        /// The bucket's owner account, when it is not the caller's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bucket_owner: Option<String>,
    },
}

impl MediaSource {
    /// The bytes, when the source holds them.
    pub fn bytes(&self) -> Option<&Blob> {
        match self {
            Self::Bytes(b) => Some(b),
            Self::S3 { .. } => None,
        }
    }
}

/// An image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Its format.
    pub format: ImageFormat,
    /// Its bytes or location.
    pub source: MediaSource,
}

impl Image {
    /// An image of `bytes`, its format read from their signature.
    ///
    /// ```
    /// use tool_api::{Image, ImageFormat};
    /// let png = Image::from_bytes(b"\x89PNG\r\n\x1a\n rest".to_vec()).unwrap();
    /// assert_eq!(png.format, ImageFormat::Png);
    /// ```
    pub fn from_bytes(bytes: impl Into<Blob>) -> Result<Self, MediaError> {
        let bytes = bytes.into();
        let format = ImageFormat::sniff(&bytes).ok_or(MediaError::UnknownImageFormat)?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(MediaError::TooLarge {
                what: "image",
                size: bytes.len(),
                limit: MAX_IMAGE_BYTES,
            });
        }
        Ok(Self {
            format,
            source: MediaSource::Bytes(bytes),
        })
    }
}

/// A document, with the name the model sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The name the model sees; see [`document_name`] for the rules.
    pub name: String,
    /// Its format.
    pub format: DocumentFormat,
    /// Its bytes or location.
    pub source: MediaSource,
}

impl Document {
    /// A document of `bytes` from a file called `file_name`: the format from
    /// the content (see [`DocumentFormat::sniff`]), the name made to follow
    /// the service's rules ([`document_name`]).
    ///
    /// ```
    /// use tool_api::{Document, DocumentFormat};
    /// let doc = Document::from_bytes("q3_report.v2.pdf", b"%PDF-1.4 ...".to_vec()).unwrap();
    /// assert_eq!((doc.name.as_str(), doc.format), ("q3-report-v2", DocumentFormat::Pdf));
    /// ```
    pub fn from_bytes(file_name: &str, bytes: impl Into<Blob>) -> Result<Self, MediaError> {
        let bytes = bytes.into();
        let (stem, extension) = match file_name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, Some(ext)),
            _ => (file_name, None),
        };
        let format = DocumentFormat::sniff(&bytes, extension).ok_or_else(|| {
            MediaError::UnknownDocumentFormat {
                extension: extension.map(str::to_owned),
            }
        })?;
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(MediaError::TooLarge {
                what: "document",
                size: bytes.len(),
                limit: MAX_DOCUMENT_BYTES,
            });
        }
        Ok(Self {
            name: document_name(stem),
            format,
            source: MediaSource::Bytes(bytes),
        })
    }
}

/// `name` made to follow the Converse API's rule for document names: only
/// alphanumerics, single whitespace characters, hyphens, parentheses and
/// square brackets. Anything else becomes a hyphen; runs of whitespace
/// become one space; an empty result becomes `document`.
pub fn document_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_whitespace() {
            ' '
        } else if c.is_alphanumeric() || "-()[]".contains(c) {
            c
        } else {
            '-'
        };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

/// Whether `name` follows the Converse API's rule for document names (see
/// [`document_name`]).
pub fn is_valid_document_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "-()[]".contains(c))
        && !name
            .chars()
            .zip(name.chars().skip(1))
            .any(|(a, b)| a.is_whitespace() && b.is_whitespace())
}

/// Why bytes could not become an [`Image`] or a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The bytes are no PNG, JPEG, GIF or WebP image.
    #[error("not a PNG, JPEG, GIF or WebP image (judged by its content, not its name)")]
    UnknownImageFormat,
    /// The bytes are no document of a supported format.
    #[error(
        "not a document of a supported format (pdf, csv, doc, docx, xls, xlsx, html, txt, md){}",
        .extension.as_ref().map(|e| format!("; its content does not match the extension `.{e}`")).unwrap_or_default()
    )]
    UnknownDocumentFormat {
        /// The file name's extension, if it had one.
        extension: Option<String>,
    },
    /// Over the service's size limit.
    #[error("the {what} is {size} bytes, over the limit of {limit} bytes (Bedrock's)")]
    TooLarge {
        /// `image` or `document`.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_follow_the_services_rule() {
        assert_eq!(
            document_name("my  report_2024 (final)"),
            "my report-2024 (final)"
        );
        assert_eq!(document_name("..."), "---");
        assert_eq!(document_name(" "), "document");
        assert!(is_valid_document_name("a b-(c)[d]"));
        assert!(!is_valid_document_name("a  b"));
        assert!(!is_valid_document_name("a.b"));
        assert!(!is_valid_document_name(""));
    }

    #[test]
    fn serialises_with_base64_bytes() {
        let image = Image::from_bytes(b"GIF89a".to_vec()).unwrap();
        let v = serde_json::to_value(&image).unwrap();
        assert_eq!(v, json!({"format": "gif", "source": {"bytes": "R0lGODlh"}}));
        assert_eq!(serde_json::from_value::<Image>(v).unwrap(), image);
        let s3 = MediaSource::S3 {
            uri: "s3://b/k".into(),
            bucket_owner: None,
        };
        assert_eq!(
            serde_json::to_value(&s3).unwrap(),
            json!({"s3": {"uri": "s3://b/k"}})
        );
    }

    #[test]
    fn refuses_unknown_and_oversized_content() {
        assert_eq!(
            Image::from_bytes(b"nope".to_vec()),
            Err(MediaError::UnknownImageFormat)
        );
        let mut big = b"GIF89a".to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(matches!(
            Image::from_bytes(big),
            Err(MediaError::TooLarge { .. })
        ));
        let e = Document::from_bytes("x.pdf", b"plain text".to_vec()).unwrap_err();
        assert!(e.to_string().contains("`.pdf`"), "{e}");
    }
}
