"""The tax system's checkout page (模拟缴费页面): a payer opens /checkout/<levy>, presses 支付, and the
simulated tax system confirms the payment to the ledger through the signed API. Like GOV.UK Pay's, the
success page sends the payer back to the service with the payment's reference: to the portal's
verification of the voucher and to the project in the enterprise workspace.

Plain `http.server` on 127.0.0.1: it stands in for a system outside this project."""

import html
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote

from devtools.sim.systems import TaxSystem

log = logging.getLogger("devtools.sim")

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:30rem;margin:1rem auto;padding:0 1rem}}
table{{width:100%;border-collapse:collapse}}td{{padding:.3rem;border-bottom:1px solid #ddd}}
button{{font-size:1.2rem;padding:.6rem 2rem;background:#c00;color:#fff;border:0;border-radius:.3rem}}
.note{{color:#666;font-size:.85rem}}</style></head><body><h1>{title}</h1>{body}
<p class="note">模拟电子税务系统（开发环境），非真实缴费。Simulated tax system for development.</p></body></html>"""


# The ledger's answer to a confirmation (CommandAccepted.status), as the payer reads it.
COMMAND_STATUS = {"accepted": "已受理，等待上链", "submitted": "已提交上链", "mined": "已上链", "indexed": "已入账"}


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


class Checkout:
    def __init__(
        self,
        tax: TaxSystem,
        lock: threading.Lock,
        host: str = "127.0.0.1",
        port: int = 8100,
        portal_url: str | None = None,
    ):
        self.tax, self.lock = tax, lock
        self.portal_url = portal_url.rstrip("/") if portal_url else None  # where the payer returns
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.url = f"http://{host}:{self.server.server_address[1]}"

    def start(self) -> "Checkout":
        threading.Thread(target=self.server.serve_forever, daemon=True, name="checkout").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def _handler(self):
        checkout = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                log.debug("checkout: " + fmt, *args)

            def _page(self, title: str, body: str, status: int = 200) -> None:
                content = PAGE.format(title=html.escape(title), body=body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _levy(self):
                number = unquote(self.path.split("/checkout/", 1)[-1].split("?")[0])
                with checkout.lock:
                    checkout.tax.sync_levies()
                    return checkout.tax.levies.get(number)

            def do_GET(self):
                if self.path.startswith("/checkout/"):
                    levy = self._levy()
                    if levy is None:
                        return self._page("未找到", "<p>没有这笔待缴费用。</p>", 404)
                    due = levy["amount_fen"] - checkout.tax.paid.get(levy["levy_number"], 0)
                    return self._page(
                        "人防易地建设费缴纳",
                        f"""<table>
                        <tr><td>缴款书号</td><td>{html.escape(levy["levy_number"])}</td></tr>
                        <tr><td>项目代码</td><td>{html.escape(levy["project_code"])}</td></tr>
                        <tr><td>缴款人</td><td>{html.escape(levy["payer_uscc"])}</td></tr>
                        <tr><td>应缴金额</td><td>{yuan(levy["amount_fen"])}</td></tr>
                        <tr><td>尚欠金额</td><td><b>{yuan(max(due, 0))}</b></td></tr></table>
                        <form method="post"><input type="hidden" name="amount_fen" value="{max(due, 0)}">
                        <p><button type="submit" {"disabled" if due <= 0 else ""}>支付</button></p></form>""",
                    )
                with checkout.lock:
                    checkout.tax.sync_levies()
                    rows = "".join(
                        f"<tr><td><a href='/checkout/{quote(n)}'>{html.escape(n)}</a></td><td>{yuan(lv['amount_fen'])}</td>"
                        f"<td>{'已缴' if checkout.tax.paid.get(n, 0) >= lv['amount_fen'] else '待缴'}</td></tr>"
                        for n, lv in list(checkout.tax.levies.items())[-50:]
                        if lv["status"] == "open"
                    )
                return self._page("待缴人防易地建设费", f"<table>{rows or '<tr><td>暂无</td></tr>'}</table>")

            def do_POST(self):
                levy = self._levy()
                if levy is None:
                    return self._page("未找到", "<p>没有这笔待缴费用。</p>", 404)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(min(length, 10_000)).decode())
                amount = form.get("amount_fen", [""])[0]
                with checkout.lock:
                    accepted = checkout.tax.pay(
                        levy, int(amount) if amount.isascii() and amount.isdigit() and int(amount) > 0 else None
                    )
                if accepted is None:
                    return self._page("未支付", "<p>无需支付或支付被拒绝。</p>", 409)
                reference, status = accepted["reference"], accepted["status"]
                return self._page(
                    "支付成功",
                    f"<p>已向人防账本确认缴款（凭证 {html.escape(reference)}）。"
                    f"</p><p>上链状态：{html.escape(COMMAND_STATUS.get(status, status))} · 命令 "
                    f"{html.escape(accepted['command_id'])}</p>{self._way_back(reference, levy['project_code'])}",
                )

            def _way_back(self, reference: str, project_code: str) -> str:
                """Links back to the service, carrying the reference (GOV.UK Pay's return to the service)."""
                portal = checkout.portal_url
                if portal is None:
                    return "<p><a href='/'>返回待缴列表</a></p>"
                receipt = html.escape(f"{portal}/receipts/{quote(reference, safe='/')}", quote=True)
                project = html.escape(f"{portal}/workspace/projects/{quote(project_code, safe='')}", quote=True)
                return (
                    f"<p><a href='{receipt}'>返回人防公众服务，核验缴款凭证 {html.escape(reference)}</a>"
                    "（上链后数秒内可查）</p>"
                    f"<p><a href='{project}'>返回企业工作台：项目 {html.escape(project_code)}</a></p>"
                )

        return Handler
