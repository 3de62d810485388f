/// A self-contained HTML page showing a history and what a linearizability
/// check found: one lane per process on a time axis, each operation a bar
/// labelled with its function, key, value and result, numbered in the
/// linearization order found, or with the failure point highlighted.
///
/// The page has inline CSS and no scripts or external assets; every piece of
/// text from the history is escaped.
public enum HTMLReport {
    /// The narrowest bar, in percent of the timeline, so instants stay visible.
    static let barWidthMinPercent = 0.4

    /// Renders the page.
    /// - Parameters:
    ///   - history: the history checked.
    ///   - analysis: the result of checking it.
    ///   - title: the page title.
    /// - Returns: the HTML text.
    public static func render(_ history: History, analysis: LinearizabilityAnalysis, title: String = "Concord history") -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font:13px/1.4 -apple-system,system-ui,sans-serif;margin:20px;color:#222}
        h1{font-size:18px}.verdict{font-size:15px;font-weight:600;padding:6px 10px;border-radius:4px;display:inline-block}
        .yes{background:#e3f4e3;color:#165c16}.no{background:#fbe3e3;color:#8a1212}.maybe{background:#fdf3d9;color:#7a5a00}
        .timeline{position:relative;margin:16px 0;border-top:1px solid #ccc}
        .lane{position:relative;height:30px;border-bottom:1px solid #eee;margin-left:90px}
        .lane-name{position:absolute;left:-90px;width:84px;top:7px;text-align:right;color:#555}
        .op{position:absolute;top:4px;height:20px;box-sizing:border-box;border:1px solid #4a78b5;background:#dce8f7;border-radius:3px;
            overflow:hidden;white-space:nowrap;font-size:11px;padding:2px 3px}
        .op.info{border-style:dashed;border-color:#c98a12;background:#fdf0d5}
        .op.fail{border-color:#aaa;background:#f2f2f2;color:#888}
        .op.placed{border-color:#2f7d32;background:#dff0df}
        .op.blocked{border:2px solid #c62828;background:#fbd9d9;font-weight:600}
        .op.other{opacity:.35}
        .n{display:inline-block;min-width:14px;padding:0 3px;margin-right:3px;border-radius:7px;background:#333;color:#fff;text-align:center}
        .axis{margin-left:90px;position:relative;height:18px;color:#777;font-size:11px}
        .axis span{position:absolute}
        pre{background:#f6f6f6;padding:10px;white-space:pre-wrap}
        .legend span{margin-right:12px}
        </style></head><body>
        <h1>\(escape(title))</h1>

        """
        html += verdictSection(history, analysis)
        html += timeline(history, analysis)
        html += orderSection(history, analysis)
        html += "</body></html>\n"
        return html
    }

    /// Escapes text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func verdictSection(_ history: History, _ analysis: LinearizabilityAnalysis) -> String {
        let processes = Set(history.operations.map(\.process)).count
        let counts = "\(counted(history.operations.count, "operation")), \(counted(processes, "process", "processes")), \(counted(history.keys.count, "key"))"
        switch analysis.verdict {
        case .linearizable:
            return "<p><span class=\"verdict yes\">Linearizable</span> \(escape(counts)). Numbers give the order found on each key.</p>\n"
        case .notLinearizable(let failure):
            return """
            <p><span class="verdict no">Not linearizable</span> \(escape(counts)); failing key \(escape(failure.key ?? "–")).
            Green bars are the longest partial linearization found (numbered); the red bar cannot be placed after it.</p>
            <pre>\(escape(failure.explanation))</pre>

            """
        case .unknown(let reason):
            return "<p><span class=\"verdict maybe\">Unknown</span> \(escape(counts)).</p>\n<pre>\(escape(reason))</pre>\n"
        }
    }

    /// Per operation: its number in the order shown and whether it is the
    /// blocked one or outside the failing key.
    private static func marks(_ history: History, _ analysis: LinearizabilityAnalysis) -> (number: [Int: Int], blocked: Int?, focusKey: String?) {
        var number: [Int: Int] = [:]
        switch analysis.verdict {
        case .notLinearizable(let failure):
            for (position, id) in failure.partialLinearization.enumerated() { number[id] = position + 1 }
            return (number, failure.blockedOperation, failure.key)
        default:
            for partition in analysis.partitions {
                for (position, id) in (partition.linearization ?? []).enumerated() { number[id] = position + 1 }
            }
            return (number, nil, nil)
        }
    }

    private static func timeline(_ history: History, _ analysis: LinearizabilityAnalysis) -> String {
        guard let first = history.events.first, let last = history.events.last else { return "<p>The history is empty.</p>\n" }
        let start = first.time
        let span = max(1, Double(last.time - start))
        let (number, blocked, focusKey) = marks(history, analysis)
        let failed: Bool = if case .notLinearizable = analysis.verdict { true } else { false }
        func percent(_ time: Int64) -> Double { Double(time - start) / span * 100 }

        var html = "<div class=\"legend\"><span>solid: ok</span><span>dashed: info (may or may not have happened)</span><span>grey: fail</span></div>\n"
        html += "<div class=\"axis\">"
        for tick in 0...4 {
            let time = start + Int64((span * Double(tick) / 4).rounded())
            html += "<span style=\"left:\(format(percent(time)))%\">\(time)</span>"
        }
        html += "</div>\n<div class=\"timeline\">\n"
        let byProcess = Dictionary(grouping: history.operations, by: \.process)
        for process in byProcess.keys.sorted() {
            html += "<div class=\"lane\"><span class=\"lane-name\">process \(process)</span>"
            for operation in byProcess[process]! {
                let left = percent(operation.invokeTime)
                let end = operation.completionTime.map(percent) ?? 100
                let width = max(barWidthMinPercent, end - left)
                var classes = ["op"]
                switch operation.outcome {
                case .ok: break
                case .info: classes.append("info")
                case .fail: classes.append("fail")
                }
                if failed && number[operation.id] != nil { classes.append("placed") }
                if operation.id == blocked { classes.append("blocked") }
                if let focusKey, operation.key != focusKey { classes.append("other") }
                let badge = number[operation.id].map { "<span class=\"n\">\($0)</span>" } ?? ""
                let times = "time \(operation.invokeTime)–\(operation.completionTime.map(String.init) ?? "?")"
                let tip = "operation \(operation.id), process \(process), \(operation.outcome.rawValue), \(times): \(operation.summary)"
                html += "<div class=\"\(classes.joined(separator: " "))\" style=\"left:\(format(left))%;width:\(format(width))%\" title=\"\(escape(tip))\">\(badge)\(escape(operation.summary))</div>"
            }
            html += "</div>\n"
        }
        return html + "</div>\n"
    }

    private static func orderSection(_ history: History, _ analysis: LinearizabilityAnalysis) -> String {
        var html = ""
        switch analysis.verdict {
        case .notLinearizable(let failure):
            html += "<h2>Longest partial linearization on key \(escape(failure.key ?? "–"))</h2>\n<ol>"
            for id in failure.partialLinearization {
                html += "<li>\(escape(history.operations[id].summary)) <small>(operation \(id), process \(history.operations[id].process))</small></li>"
            }
            html += "</ol>\n"
            if let blocked = failure.blockedOperation {
                html += "<p>Cannot be placed next: <b>\(escape(history.operations[blocked].summary))</b> (operation \(blocked)).</p>\n"
            }
        default:
            for partition in analysis.partitions {
                guard let order = partition.linearization else { continue }
                html += "<details><summary>Key \(escape(partition.key ?? "–")): \(order.count) operations in order</summary><ol>"
                for id in order { html += "<li>\(escape(history.operations[id].summary))</li>" }
                html += "</ol></details>\n"
            }
        }
        return html
    }

    private static func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
    }

    private static func format(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
