"""Avatars load only from WeChat's avatar hosts or our media domain, over https."""

from __future__ import annotations

import pytest
from earnloop.identity.avatars import avatar_hosts, check_avatar_url, is_allowed_host

WECHAT = "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTLabc/132"


@pytest.mark.parametrize(
    "url",
    [
        WECHAT,
        "https://wx.qlogo.cn/mmopen/vi_32/abc/0",
        "https://thirdwx.qlogo.cn:443/mmopen/x/132",
        "https://media.earnloop.example.cn/avatars/u1.jpg?v=2",
    ],
)
def test_https_urls_of_plain_host_names_have_the_shape_of_an_avatar(url):
    assert check_avatar_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://thirdwx.qlogo.cn/mmopen/x/132",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "https://user:pass@thirdwx.qlogo.cn/x",
        "https://thirdwx.qlogo.cn@evil.example/x",
        "https://thirdwx.qlogo.cn\x00.evil.example/x",
        "https://thirdwx.qlogo.cn/x\x00",
        "https://thirdwx.qlogo.cn/x\r\nSet-Cookie: a=b",
        "https://thirdwx.qlogo.cn/a b",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://2852039166/",
        "https://0xA9.0xFE.0xA9.0xFE/",
        "https://127.1/",
        "https://localhost/x",
        "https://thirdwx.qlogo.cn:8443/x",
        "https://thirdwx.qlogo.cn:0/x",
        "https://thirdwx.qlogo.cn:99999/x",
        "https://thirdwx.qlogo.cn:abc/x",
        "https:\\\\thirdwx.qlogo.cn\\x",
        "https:///x",
        "https://头像.example.cn/x",
        "https://thirdwx.qlogo.cn/" + "a" * 500,
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(ValueError):
        check_avatar_url(url)


def test_the_allowed_hosts_are_wechats_and_the_media_domain():
    assert avatar_hosts(None) == {"thirdwx.qlogo.cn", "wx.qlogo.cn"}
    hosts = avatar_hosts("Media.Earnloop.example.cn")
    assert is_allowed_host("https://media.earnloop.example.cn/a.jpg", hosts)
    assert is_allowed_host("https://THIRDWX.QLOGO.CN/a", hosts)
    assert not is_allowed_host("https://evil.example/a.jpg", hosts)
    assert not is_allowed_host("https://qlogo.cn.evil.example/a.jpg", hosts)
    assert not is_allowed_host("https://evil.thirdwx.qlogo.cn/a.jpg", hosts)
