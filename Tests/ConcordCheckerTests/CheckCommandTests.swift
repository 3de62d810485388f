import Foundation
import Testing

/// Where the build put the `concord` binary, if it did
/// (`swift build --build-tests` does).
enum ConcordBinary {
    static let path: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(configuration)/concord").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()
}

/// Runs the built `concord check`; skipped when the binary is absent.
@Suite(.enabled(if: ConcordBinary.path != nil, "the concord binary is not built"))
struct CheckCommandTests {

    private func run(_ arguments: [String], file contents: String?) throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("history.jsonl").path
        if let contents { try contents.write(toFile: file, atomically: true, encoding: .utf8) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ConcordBinary.path!)
        process.arguments = ["check", file] + arguments.map { $0.replacingOccurrences(of: "DIR", with: directory.path) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var output = String(decoding: data, as: UTF8.self)
        if arguments.contains(where: { $0.hasPrefix("DIR") }), let page = try? String(contentsOfFile: directory.appendingPathComponent("report.html").path, encoding: .utf8) {
            output += page
        }
        return (process.terminationStatus, output)
    }

    private let linearizable = """
    {"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}
    {"process":0,"type":"ok","f":"put","key":"x","value":"1","time":7}
    {"process":1,"type":"invoke","f":"get","key":"x","time":8}
    {"process":1,"type":"ok","f":"get","key":"x","value":"1","time":9}
    """

    private let stale = """
    {"process":0,"type":"invoke","f":"put","key":"x","value":"1","time":0}
    {"process":0,"type":"ok","f":"put","key":"x","value":"1","time":1}
    {"process":0,"type":"invoke","f":"put","key":"x","value":"2","time":2}
    {"process":0,"type":"ok","f":"put","key":"x","value":"2","time":3}
    {"process":1,"type":"invoke","f":"get","key":"x","time":4}
    {"process":1,"type":"ok","f":"get","key":"x","value":"1","time":5}
    """

    @Test func linearizableHistoryExitsZero() throws {
        let (status, output) = try run([], file: linearizable)
        #expect(status == 0)
        #expect(output.hasPrefix("linearizable"))
    }

    @Test func staleReadExitsOneAndWritesTheReport() throws {
        let (status, output) = try run(["--html", "DIR/report.html"], file: stale)
        #expect(status == 1)
        #expect(output.contains("not linearizable on key x"))
        #expect(output.contains("<!DOCTYPE html>"))
    }

    @Test func exhaustedBudgetExitsTwo() throws {
        let (status, output) = try run(["--steps", "1"], file: stale)
        #expect(status == 2)
        #expect(output.hasPrefix("unknown"))
    }

    @Test func invalidFileExitsTwoNamingTheLine() throws {
        let (status, output) = try run([], file: linearizable + "\n{\"process\":1}")
        #expect(status == 2)
        #expect(output.contains("line 5: missing field"))
    }

    @Test func missingFileExitsTwo() throws {
        let (status, output) = try run([], file: nil)
        #expect(status == 2)
        #expect(output.contains("no such file"))
    }
}
