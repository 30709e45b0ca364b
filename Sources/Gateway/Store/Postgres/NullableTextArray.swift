import NIOCore
import PostgresNIO

/// A `text[]` parameter whose elements may be NULL, in PostgreSQL's binary array format
/// (postgres-nio encodes arrays of non-optional elements only). Lets a batch send each column as
/// one array for `unnest`: the values travel as their own bytes, with nothing to escape or parse.
struct NullableTextArray: PostgresNonThrowingEncodable {
    var elements: [String?]

    init(_ elements: [String?]) {
        self.elements = elements
    }

    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        // Header: dimensions, a has-NULLs flag, the element type; then the one dimension's
        // length and lower bound. PostgreSQL reads an empty array as zero dimensions.
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)
        buffer.writeInteger(elements.contains(nil) ? 1 : 0, as: Int32.self)
        buffer.writeInteger(PostgresDataType.text.rawValue)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(1, as: Int32.self)
        for element in elements {
            guard let element else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            buffer.writeInteger(Int32(element.utf8.count))
            buffer.writeString(element)
        }
    }
}
