//! Images and documents: core [`Image`]/[`Document`] ↔ SDK blocks, in
//! messages and in tool results alike.

use agent_core::{Blob, Document, DocumentFormat, Image, ImageFormat, MediaSource, ModelError};
use aws_sdk_bedrockruntime::types as sdk;

/// An SDK image block made from a core [`Image`], or read back into one.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkImage(pub sdk::ImageBlock);

/// An SDK document block made from a core [`Document`], or read back into
/// one.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkDocumentBlock(pub sdk::DocumentBlock);

fn build_error(what: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::new(
        agent_core::ModelErrorKind::Other,
        format!("could not build the Bedrock {what}: {e}"),
    )
}

fn s3(uri: &str, bucket_owner: Option<&String>) -> Result<sdk::S3Location, ModelError> {
    sdk::S3Location::builder()
        .uri(uri)
        .set_bucket_owner(bucket_owner.cloned())
        .build()
        .map_err(|e| build_error("S3 location", e))
}

fn image_format(format: ImageFormat) -> sdk::ImageFormat {
    match format {
        ImageFormat::Png => sdk::ImageFormat::Png,
        ImageFormat::Jpeg => sdk::ImageFormat::Jpeg,
        ImageFormat::Gif => sdk::ImageFormat::Gif,
        ImageFormat::Webp => sdk::ImageFormat::Webp,
    }
}

fn document_format(format: DocumentFormat) -> sdk::DocumentFormat {
    match format {
        DocumentFormat::Pdf => sdk::DocumentFormat::Pdf,
        DocumentFormat::Csv => sdk::DocumentFormat::Csv,
        DocumentFormat::Doc => sdk::DocumentFormat::Doc,
        DocumentFormat::Docx => sdk::DocumentFormat::Docx,
        DocumentFormat::Xls => sdk::DocumentFormat::Xls,
        DocumentFormat::Xlsx => sdk::DocumentFormat::Xlsx,
        DocumentFormat::Html => sdk::DocumentFormat::Html,
        DocumentFormat::Txt => sdk::DocumentFormat::Txt,
        DocumentFormat::Md => sdk::DocumentFormat::Md,
    }
}

impl TryFrom<&Image> for SdkImage {
    type Error = ModelError;

    fn try_from(image: &Image) -> Result<Self, Self::Error> {
        let source = match &image.source {
            MediaSource::Bytes(b) => {
                sdk::ImageSource::Bytes(aws_smithy_types::Blob::new(b.as_bytes()))
            }
            MediaSource::S3 { uri, bucket_owner } => {
                sdk::ImageSource::S3Location(s3(uri, bucket_owner.as_ref())?)
            }
        };
        sdk::ImageBlock::builder()
            .format(image_format(image.format))
            .source(source)
            .build()
            .map(Self)
            .map_err(|e| build_error("image block", e))
    }
}

impl TryFrom<&Document> for SdkDocumentBlock {
    type Error = ModelError;

    fn try_from(doc: &Document) -> Result<Self, Self::Error> {
        let source = match &doc.source {
            MediaSource::Bytes(b) => {
                sdk::DocumentSource::Bytes(aws_smithy_types::Blob::new(b.as_bytes()))
            }
            MediaSource::S3 { uri, bucket_owner } => {
                sdk::DocumentSource::S3Location(s3(uri, bucket_owner.as_ref())?)
            }
        };
        sdk::DocumentBlock::builder()
            .format(document_format(doc.format))
            .name(&doc.name)
            .source(source)
            .build()
            .map(Self)
            .map_err(|e| build_error("document block", e))
    }
}

fn media_source(
    bytes: Option<&aws_smithy_types::Blob>,
    s3: Option<&sdk::S3Location>,
    what: &str,
) -> Result<MediaSource, ModelError> {
    match (bytes, s3) {
        (Some(b), _) => Ok(MediaSource::Bytes(Blob::from(b.as_ref()))),
        (None, Some(l)) => Ok(MediaSource::S3 {
            uri: l.uri.clone(),
            bucket_owner: l.bucket_owner.clone(),
        }),
        (None, None) => Err(ModelError::protocol(format!(
            "the service sent {what} with no source this version reads"
        ))),
    }
}

impl TryFrom<SdkImage> for Image {
    type Error = ModelError;

    fn try_from(image: SdkImage) -> Result<Self, Self::Error> {
        let format = ImageFormat::from_name(image.0.format.as_str()).ok_or_else(|| {
            ModelError::protocol(format!(
                "the service sent an image of the unknown format `{}`",
                image.0.format.as_str()
            ))
        })?;
        let source = image.0.source.as_ref();
        Ok(Image {
            format,
            source: media_source(
                source.and_then(|s| s.as_bytes().ok()),
                source.and_then(|s| s.as_s3_location().ok()),
                "an image",
            )?,
        })
    }
}

impl TryFrom<SdkDocumentBlock> for Document {
    type Error = ModelError;

    fn try_from(doc: SdkDocumentBlock) -> Result<Self, Self::Error> {
        let format = DocumentFormat::from_name(doc.0.format.as_str()).ok_or_else(|| {
            ModelError::protocol(format!(
                "the service sent a document of the unknown format `{}`",
                doc.0.format.as_str()
            ))
        })?;
        let source = doc.0.source.as_ref();
        Ok(Document {
            name: doc.0.name.clone(),
            format,
            source: media_source(
                source.and_then(|s| s.as_bytes().ok()),
                source.and_then(|s| s.as_s3_location().ok()),
                "a document",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_documents_round_trip() {
        let image = Image::from_bytes(b"\x89PNG\r\n\x1a\nxx".to_vec()).unwrap();
        let sdk = SdkImage::try_from(&image).unwrap();
        assert_eq!(sdk.0.format, sdk::ImageFormat::Png);
        assert_eq!(Image::try_from(sdk).unwrap(), image);
        let s3 = Image {
            format: ImageFormat::Webp,
            source: MediaSource::S3 {
                uri: "s3://bucket/cat.webp".into(),
                bucket_owner: Some("111122223333".into()),
            },
        };
        assert_eq!(
            Image::try_from(SdkImage::try_from(&s3).unwrap()).unwrap(),
            s3
        );
        let doc = Document::from_bytes("notes.md", b"# Notes".to_vec()).unwrap();
        let sdk = SdkDocumentBlock::try_from(&doc).unwrap();
        assert_eq!(
            (sdk.0.name.as_str(), &sdk.0.format),
            ("notes", &sdk::DocumentFormat::Md)
        );
        assert_eq!(Document::try_from(sdk).unwrap(), doc);
    }
}
