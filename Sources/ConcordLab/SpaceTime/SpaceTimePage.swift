import ConcordChecker
import ConcordSimulation

/// A self-contained HTML page that draws one simulated run as a space-time
/// diagram: a horizontal line per node over true time, an arrow per message
/// (lost, blocked, duplicated, delayed and held ones marked), crashes,
/// pauses and partitions shaded, client operations as bars coloured by
/// outcome, and the verdict with the operations it blames highlighted. It
/// zooms (wheel, drag, buttons) and searches the text of every event.
///
/// One file: inline CSS, an inline script that draws SVG from the run's
/// records embedded as JSON, no network access. The drawing is made in the
/// browser so that a zoomed view draws only what it shows; the page marks
/// the `svg` with what it drew (`data-nodes`, `data-arrows`,
/// `data-operations`) so that a test in a real browser can check it.
public enum SpaceTimePage {
    /// Describes the run for the page's heading.
    public struct Run: Sendable {
        /// The scenario's name.
        public var scenario: String
        /// Its one-line summary.
        public var summary: String
        /// The seed of the run.
        public var seed: UInt64
        /// The bug switch, if any.
        public var bug: String?

        /// Describes a run.
        public init(scenario: String, summary: String, seed: UInt64, bug: String? = nil) {
            self.scenario = scenario
            self.summary = summary
            self.seed = seed
            self.bug = bug
        }

        /// The command that replays the run.
        public var replayCommand: String {
            "concord sim \(scenario) --seed \(seed)" + (bug.map { " --bug \($0)" } ?? "")
        }
    }

    /// Renders the page of one run.
    ///
    /// - Parameters:
    ///   - run: what ran.
    ///   - result: what the run found; its `recording` (asked for with
    ///     `ScenarioOptions.recordEvents`) supplies the nodes, messages and
    ///     faults, its `operations` the client bars. Without a recording the
    ///     page shows the verdict, the operations and the timeline only.
    /// - Returns: the HTML text.
    public static func render(_ run: Run, result: ScenarioResult) -> String {
        let title = run.replayCommand
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTMLReport.escape(title))</title>
            <style>\(SpaceTimePageAssets.style)</style></head><body>
            <header><h1>\(HTMLReport.escape(title))</h1>
            <p class="summary">\(HTMLReport.escape(run.summary))</p>
            <div id="verdict" class="verdict \(result.passed ? "pass" : "fail")"><b>\(result.passed ? "passed" : "FAILED")</b> \(HTMLReport.escape(result.verdict))</div>
            <p class="meta">trace hash \(hex(result.traceHash)) · replay: <code>\(HTMLReport.escape(run.replayCommand))</code> <span id="counts"></span></p>
            </header>

            """
        if result.recording == nil {
            html += "<p class=\"note\">This scenario handed over no simulator recording: only its operations and timeline are shown. "
                + "A scenario supplies one by creating its simulator with <code>recordsEvents: options.recordEvents</code> "
                + "and passing <code>recording: simulator.recording</code> in its result.</p>\n"
        }
        html += SpaceTimePageAssets.body
        html += "<script type=\"application/json\" id=\"run-data\">" + json(run, result) + "</script>\n"
        html += "<script>" + SpaceTimePageAssets.script + "</script>\n"
        if !result.timeline.isEmpty {
            html += "<details><summary>Timeline (\(result.timeline.count) lines)</summary><pre>"
            for line in result.timeline.prefix(timelineLinesMax) {
                html += HTMLReport.escape(line) + "\n"
            }
            if result.timeline.count > timelineLinesMax { html += "… \(result.timeline.count - timelineLinesMax) more lines\n" }
            html += "</pre></details>\n"
        }
        html += "</body></html>\n"
        return html
    }

    /// The most timeline lines copied into the page.
    static let timelineLinesMax = 20_000

    /// The run's records as JSON, in compact arrays (see the script for the layout).
    static func json(_ run: Run, _ result: ScenarioResult) -> String {
        var out = "{"
        out += "\"scenario\":" + string(run.scenario) + ",\"seed\":" + string(String(run.seed))
        out += ",\"passed\":\(result.passed),\"verdict\":" + string(result.verdict)
        let recording = result.recording
        var nodes = recording?.nodeIDs ?? []
        for operation in result.operations {
            if let node = operation.node, !nodes.contains(node) { nodes.append(node) }
        }
        out += ",\"nodes\":[" + nodes.map(String.init).joined(separator: ",") + "]"
        var end = recording?.endTime.nanoseconds ?? 0
        for operation in result.operations {
            end = max(end, operation.completedAt?.nanoseconds ?? operation.invokedAt.nanoseconds)
        }
        out += ",\"end\":\(end),\"truncated\":\(recording?.isTruncated ?? false)"
        out += ",\"messages\":["
        var first = true
        for message in recording?.messages ?? [] {
            if !first { out += "," }
            first = false
            var flags = 0
            if message.isDuplicate { flags |= 1 }
            if message.isDelayed { flags |= 2 }
            if message.wasHeldByPause { flags |= 4 }
            out += "[\(message.from),\(message.to),\(message.sentAt.nanoseconds),"
            out += (message.endedAt.map { String($0.nanoseconds) } ?? "null")
            out += "," + string(fateCode(message.fate)) + ",\(flags)," + string(message.text) + "]"
        }
        out += "],\"events\":["
        first = true
        for event in recording?.events ?? [] {
            if !first { out += "," }
            first = false
            out += "[\(event.time.nanoseconds),\(event.node.map(String.init) ?? "null")," + string(event.kind.rawValue) + "," + string(event.text)
            if !event.groups.isEmpty {
                out += ",[" + event.groups.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
            }
            out += "]"
        }
        out += "],\"operations\":["
        first = true
        for operation in result.operations {
            if !first { out += "," }
            first = false
            out += "[\(operation.id),\(operation.process),\(operation.node.map(String.init) ?? "null"),\(operation.invokedAt.nanoseconds),"
            out += (operation.completedAt.map { String($0.nanoseconds) } ?? "null")
            out += "," + string(operation.outcome.rawValue) + "," + string(operation.label) + ",\(operation.isOffending ? 1 : 0)]"
        }
        out += "]}"
        return out
    }

    static func fateCode(_ fate: RecordedMessage.Fate) -> String {
        switch fate {
        case .delivered: "d"
        case .lost: "l"
        case .blocked: "b"
        case .receiverDown: "r"
        case .inFlight: "f"
        }
    }

    /// A JSON string literal that is also safe inside a `<script>` element:
    /// `<`, `>` and `&` are escaped, so no `</script>` can close it early.
    static func string(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let digits = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
