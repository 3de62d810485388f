import FuzzSupport
import NIOCore

@testable import ConcordServer

/// The client listener's gRPC message framing (flag byte, 4-byte length,
/// message) over DATA frames of any size: the first input byte sets the
/// size of the pieces the rest arrives in. Every message returned fits the
/// limit, and the messages are the input's bytes in order.
enum GRPCFramingFuzzing: FuzzTarget {
    static let messageBytesMax = 4096

    static func check(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let pieceBytes = Int(input.byte()) + 1
        let stream = input.rest()
        var deframer = GRPCMessageDeframer(messageBytesMax: messageBytesMax)
        var consumed = 0
        var offset = 0
        while offset < stream.count {
            let end = min(offset + pieceBytes, stream.count)
            deframer.append(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
            while true {
                let message: [UInt8]?
                do {
                    message = try deframer.next()
                } catch {
                    return
                }
                guard let message else { break }
                precondition(message.count <= messageBytesMax, "a message above the limit was returned")
                precondition(Array(stream[(consumed + 5)..<(consumed + 5 + message.count)]) == message, "a message is not the bytes sent")
                consumed += 5 + message.count
            }
        }
        precondition(deframer.hasPartialMessage == (consumed < stream.count), "held bytes disagree with what was consumed")
    }

    static func seeds() throws -> [[UInt8]] {
        let allocator = ByteBufferAllocator()
        func framed(_ messages: [[UInt8]]) -> [UInt8] {
            messages.flatMap { Array(buffer: GRPCFraming.frame($0, allocator: allocator)) }
        }
        return [
            [0] + framed([[]]),
            [4] + framed([Array("hello".utf8)]),
            [0xFF] + framed([Array(repeating: 7, count: 300), [1, 2, 3], []]),
            [2] + framed([Array(repeating: 1, count: messageBytesMax)]),
        ]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    GRPCFramingFuzzing.testOneInput(data, count)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    GRPCFramingFuzzing.initialize()
}
