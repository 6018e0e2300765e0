"""The portal: server-rendered pages (Jinja2), zh-CN, mobile first, no build step.

`portal.mount.mount_portal(app)` adds the public pages, the people's pages (login, the enterprise
workspace, the regulator's dashboard, the office workspace) and /static to the app (web.app).
"""
