"""Error pages: a PageError, and an unknown address, a wrong method or a bad query on a portal path,
answered as error.html in Chinese, with the header knowing who is logged in. The API's paths (/v1/...,
/problems, /health, /metrics, the OpenAPI documents) keep their problem+json (web.kit.problems)."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from portal.pages import PageError, render
from portal.people import person_or_none
from web.kit.problems import field_of, problem_of_exception

API_PATHS = ("/v1/", "/problems", "/health", "/metrics", "/openapi.json", "/docs", "/redoc")
HTTP_PAGES = {
    404: ("页面不存在", "您访问的地址 {path} 不存在。请核对地址，或从首页进入。"),
    405: ("不支持的访问方式", "地址 {path} 不支持这种访问方式。请从页面上的链接或表单进入。"),
}


def is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith(API_PATHS)


async def error_page(request: Request, status: int, title: str, message: str, headers: dict | None = None):
    who = await person_or_none(request)
    return render(request, "error.html", status_code=status, headers=headers, who=who, title=title, message=message)


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError):
        return await error_page(request, exc.status, exc.title, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if is_api_path(request.url.path) or exc.status_code not in HTTP_PAGES:
            return problem_of_exception(request, exc)
        title, message = HTTP_PAGES[exc.status_code]
        return await error_page(request, exc.status_code, title, message.format(path=request.url.path))

    @app.exception_handler(RequestValidationError)
    async def bad_query(request: Request, exc: RequestValidationError):
        if is_api_path(request.url.path):
            return problem_of_exception(request, exc)
        fields = "、".join(dict.fromkeys(field_of(tuple(e.get("loc", ()))) for e in exc.errors()))
        message = f"参数（{fields}）的取值不在允许范围内，请返回上一页重新选择。"
        return await error_page(request, 422, "输入有误", message)
