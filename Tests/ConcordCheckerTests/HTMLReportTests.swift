import Testing
import ConcordChecker

@Suite struct HTMLReportTests {
    @Test func escapesEveryPieceOfHistoryText() {
        #expect(HTMLReport.escape(#"<script>alert("x" & 'y')</script>"#) == "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;")
    }

    @Test func failingHistoryShowsLanesTheNumberedPrefixAndTheBlockedOperation() throws {
        var script = HistoryScript()
        script.run(0, .put, "<k>", "1")
        script.run(0, .put, "<k>", "<b>2</b>")
        script.run(1, .get, "<k>", read: "1")
        script.run(2, .get, "other", read: nil)
        let history = try script.history()
        let page = HTMLReport.render(history, analysis: analyzeLinearizability(history, budget: .steps(1_000)), title: "t<1>")
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(!page.contains("<b>2</b>"))
        #expect(!page.contains("<k>"))
        #expect(page.contains("<title>t&lt;1&gt;</title>"))
        #expect(page.contains("Not linearizable"))
        for process in 0...2 { #expect(page.contains(">process \(process)</span>")) }
        #expect(page.components(separatedBy: "class=\"op placed\"").count - 1 == 2)
        #expect(page.components(separatedBy: "class=\"op blocked\"").count - 1 == 1)
        #expect(page.contains("<span class=\"n\">2</span>put(&lt;k&gt;, &quot;&lt;b&gt;2&lt;/b&gt;&quot;)"))
        #expect(!page.contains("http"))
        #expect(!page.contains("<script"))
    }

    @Test func linearizableHistoryShowsTheOrderFound() throws {
        var script = HistoryScript()
        script.invoke(0, .put, "x", "1")
        script.invoke(1, .put, "x", "2")
        script.ok(0)
        script.ok(1)
        script.invoke(2, .put, "x", "3")
        script.info(2)
        script.run(3, .get, "x", read: "1")
        let history = try script.history()
        let page = HTMLReport.render(history, analysis: analyzeLinearizability(history, budget: .steps(1_000)))
        #expect(page.contains("Linearizable"))
        #expect(page.contains("<span class=\"n\">1</span>put(x, &quot;2&quot;)"))
        #expect(page.contains("<span class=\"n\">2</span>put(x, &quot;1&quot;)"))
        #expect(page.contains("class=\"op info\""))
        #expect(page.contains("4 operations, 4 processes, 1 key"))
    }
}
