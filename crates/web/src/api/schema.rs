//! Schemas of the OpenAPI document that no handler owns.

/// The bytes of a file, downloaded or sent as the whole body: `{"type":
/// "string", "format": "binary"}`, which client generators read as a file.
/// Used inline, under the media type really sent.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}
