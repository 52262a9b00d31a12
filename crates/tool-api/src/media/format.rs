//! Image and document formats, told from the content (magic bytes) first
//! and the file name's extension only where the content cannot tell.

use serde::{Deserialize, Serialize};

/// An image format the model services accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF.
    Gif,
    /// WebP.
    Webp,
}

impl ImageFormat {
    /// Every format, for messages that list what is accepted.
    pub const ALL: [Self; 4] = [Self::Png, Self::Jpeg, Self::Gif, Self::Webp];

    /// The format the bytes are in, from their signature; `None` when they
    /// are none of the four.
    ///
    /// ```
    /// use tool_api::ImageFormat;
    /// assert_eq!(ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
    /// assert_eq!(ImageFormat::sniff(b"hello"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The name the Converse API and this crate's JSON use: `png`, `jpeg`,
    /// `gif`, `webp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    /// The MIME type (`image/png`...), as the Anthropic and OpenAI APIs
    /// name formats.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    /// The format of a MIME type, if it is one of the four.
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.mime_type().eq_ignore_ascii_case(mime.trim()))
    }

    /// The format a Converse name (`png`...) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// A document format the Converse API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    /// PDF.
    Pdf,
    /// Comma-separated values.
    Csv,
    /// Word 97-2003.
    Doc,
    /// Word (Office Open XML).
    Docx,
    /// Excel 97-2003.
    Xls,
    /// Excel (Office Open XML).
    Xlsx,
    /// HTML.
    Html,
    /// Plain text.
    Txt,
    /// Markdown.
    Md,
}

/// The signature of an OLE compound file (`.doc`, `.xls`).
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// The signature of a ZIP archive (`.docx`, `.xlsx`).
const ZIP: &[u8] = b"PK\x03\x04";

impl DocumentFormat {
    /// Every format, for messages that list what is accepted.
    pub const ALL: [Self; 9] = [
        Self::Pdf,
        Self::Csv,
        Self::Doc,
        Self::Docx,
        Self::Xls,
        Self::Xlsx,
        Self::Html,
        Self::Txt,
        Self::Md,
    ];

    /// The name the Converse API uses, which is also the usual extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Csv => "csv",
            Self::Doc => "doc",
            Self::Docx => "docx",
            Self::Xls => "xls",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
            Self::Txt => "txt",
            Self::Md => "md",
        }
    }

    /// The format a Converse name or file extension stands for
    /// (`htm` and `markdown` too).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "htm" => Some(Self::Html),
            "markdown" => Some(Self::Md),
            "text" => Some(Self::Txt),
            n => Self::ALL.into_iter().find(|f| f.as_str() == n),
        }
    }

    /// The MIME type, as the Anthropic API names document media.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Csv => "text/csv",
            Self::Doc => "application/msword",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xls => "application/vnd.ms-excel",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Html => "text/html",
            Self::Txt => "text/plain",
            Self::Md => "text/markdown",
        }
    }

    /// Whether the format is plain text (the content is UTF-8).
    pub fn is_text(self) -> bool {
        matches!(self, Self::Csv | Self::Html | Self::Txt | Self::Md)
    }

    /// The format of a document, from its content first: a PDF, an OLE file
    /// or a ZIP archive is known by its signature (the extension then only
    /// chooses between Word and Excel), HTML by its opening tag; text that
    /// is none of these takes its format from the extension (`csv`, `md`,
    /// `txt`; `txt` when there is none). `None`: binary content of no known
    /// format, or a signature the extension contradicts (a ZIP named
    /// `.pdf`).
    ///
    /// ```
    /// use tool_api::DocumentFormat;
    /// assert_eq!(DocumentFormat::sniff(b"%PDF-1.7 ...", Some("txt")), Some(DocumentFormat::Pdf));
    /// assert_eq!(DocumentFormat::sniff(b"a,b\n1,2\n", Some("csv")), Some(DocumentFormat::Csv));
    /// assert_eq!(DocumentFormat::sniff(&[0, 159, 146, 150], Some("txt")), None);
    /// ```
    pub fn sniff(bytes: &[u8], extension: Option<&str>) -> Option<Self> {
        let by_name = extension.and_then(Self::from_name);
        if bytes.starts_with(b"%PDF-") {
            return Some(Self::Pdf);
        }
        if bytes.starts_with(OLE) {
            return match by_name {
                Some(Self::Xls) | Some(Self::Xlsx) => Some(Self::Xls),
                Some(Self::Doc) | Some(Self::Docx) | None => Some(Self::Doc),
                Some(_) => None,
            };
        }
        if bytes.starts_with(ZIP) {
            return match by_name {
                Some(Self::Xls) | Some(Self::Xlsx) => Some(Self::Xlsx),
                Some(Self::Doc) | Some(Self::Docx) => Some(Self::Docx),
                // Office Open XML names its parts: word/ or xl/.
                _ if contains(bytes, b"word/") => Some(Self::Docx),
                _ if contains(bytes, b"xl/") => Some(Self::Xlsx),
                _ => None,
            };
        }
        let text = std::str::from_utf8(bytes).ok()?;
        if text.contains('\0') {
            return None;
        }
        let head = text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .get(..15)
            .unwrap_or(text.trim_start())
            .to_ascii_lowercase();
        if head.starts_with("<!doctype html") || head.starts_with("<html") {
            return Some(Self::Html);
        }
        match by_name {
            Some(f) if f.is_text() => Some(f),
            None => Some(Self::Txt),
            // Text named as a binary format (a `.pdf` of plain text).
            Some(_) => None,
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_by_signature() {
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a..."), Some(ImageFormat::Gif));
        assert_eq!(
            ImageFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(
            ImageFormat::from_mime_type("image/webp"),
            Some(ImageFormat::Webp)
        );
    }

    #[test]
    fn documents_by_signature_then_name() {
        let zip_word = b"PK\x03\x04....word/document.xml";
        assert_eq!(
            DocumentFormat::sniff(zip_word, None),
            Some(DocumentFormat::Docx)
        );
        assert_eq!(
            DocumentFormat::sniff(b"PK\x03\x04", Some("xlsx")),
            Some(DocumentFormat::Xlsx)
        );
        assert_eq!(DocumentFormat::sniff(b"PK\x03\x04", Some("pdf")), None);
        assert_eq!(
            DocumentFormat::sniff(OLE, Some("xls")),
            Some(DocumentFormat::Xls)
        );
        assert_eq!(
            DocumentFormat::sniff(b"  <!DOCTYPE html><p>x", Some("txt")),
            Some(DocumentFormat::Html)
        );
        assert_eq!(
            DocumentFormat::sniff(b"# Title", Some("md")),
            Some(DocumentFormat::Md)
        );
        assert_eq!(
            DocumentFormat::sniff(b"plain", None),
            Some(DocumentFormat::Txt)
        );
        assert_eq!(DocumentFormat::sniff(b"plain", Some("docx")), None);
    }
}
