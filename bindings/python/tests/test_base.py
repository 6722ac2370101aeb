"""Version, error mapping and the configuration object through the binding."""

import re

import pytest

import quackpipe
from quackpipe import capi


def test_version_matches_the_headers():
    assert quackpipe.version() == capi.QP_VERSION
    assert quackpipe.__version__ == capi.QP_VERSION
    assert quackpipe.version_number() == capi.QP_VERSION_NUMBER
    major, minor, patch = (int(p) for p in quackpipe.version().split("."))
    assert quackpipe.version_number() == (major << 16) | (minor << 8) | patch


def error_codes():
    return {name: getattr(capi, name) for name in dir(capi)
            if re.fullmatch(r"QP_ERR_[A-Z0-9_]+", name)}


def test_error_names_and_descriptions_come_from_the_library():
    codes = error_codes()
    assert codes["QP_ERR_CONF_INVALID"] == -5
    for name, code in codes.items():
        assert quackpipe.err_name(code) == name
        assert quackpipe.err_str(code) not in ("", "unknown error code")
    assert quackpipe.err_name(12345) == "QP_ERR_UNKNOWN"


def test_every_error_code_has_a_family():
    # A code appended to errors.h needs its line in typemaps/errors.i.
    unmapped = [name for name, code in error_codes().items()
                if name != "QP_ERR_GENERIC" and not capi.qpb_error_family(code)]
    assert unmapped == []


def test_bad_value_raises_config_error_with_the_detail():
    conf = quackpipe.Conf()
    with pytest.raises(quackpipe.ConfigError) as info:
        conf.set("qp.log.level", 99)
    err = info.value
    assert isinstance(err, quackpipe.Error)
    assert err.code == capi.QP_ERR_CONF_INVALID
    assert err.name == "QP_ERR_CONF_INVALID"
    assert err.detail == "qp.log.level: 99 is outside [0, 7]"
    assert "QP_ERR_CONF_INVALID" in str(err)


def test_unknown_library_key_raises_config_error():
    with pytest.raises(quackpipe.ConfigError) as info:
        quackpipe.Conf(**{"qp.no.such.key": "1"})
    assert info.value.name == "QP_ERR_CONF_UNKNOWN"
    assert info.value.detail.startswith("qp.no.such.key: ")


def test_set_and_get():
    conf = quackpipe.Conf({"bootstrap.servers": "127.0.0.1:9092"},
                          **{"qp.log.level": 7, "enable.idempotence": True})
    assert conf.get("bootstrap.servers") == "127.0.0.1:9092"
    assert conf["qp.log.level"] == "7"
    assert conf["enable.idempotence"] == "true"
    assert conf.get("qp.topic.events") == "scan-events"  # the default
    assert conf.get("not.set") is None
    with pytest.raises(KeyError):
        conf["not.set"]
    conf["qp.topic.events"] = "events-test"
    assert conf["qp.topic.events"] == "events-test"


def test_dup_is_independent():
    conf = quackpipe.Conf(**{"qp.log.level": 5})
    copy = conf.dup()
    conf.set("qp.log.level", 3)
    assert copy.get("qp.log.level") == "5"
    conf.close()
    assert copy.get("qp.log.level") == "5"


def test_load_file(tmp_path):
    path = tmp_path / "pipeline.conf"
    path.write_text("# comment\n\nqp.log.level = 4\nbootstrap.servers = 127.0.0.1:9092\n")
    conf = quackpipe.Conf()
    conf.load_file(path)
    assert conf["qp.log.level"] == "4"
    assert conf["bootstrap.servers"] == "127.0.0.1:9092"


def test_load_file_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text("qp.log.level = 4\nqp.log.level = eleven\n")
    conf = quackpipe.Conf()
    with pytest.raises(quackpipe.ConfigError) as info:
        conf.load_file(path)
    assert info.value.detail.startswith(f"{path}:2: qp.log.level: ")
    assert conf["qp.log.level"] == "4"  # set before the bad line
    with pytest.raises(quackpipe.InputOutputError) as info:
        conf.load_file(tmp_path / "missing.conf")
    assert isinstance(info.value, OSError)
    assert "missing.conf" in info.value.detail


def test_use_after_close_raises():
    conf = quackpipe.Conf()
    conf.close()
    conf.close()  # closing twice is harmless
    with pytest.raises(quackpipe.ClosedError):
        conf.get("qp.log.level")
    with pytest.raises(quackpipe.ClosedError):
        conf.set("qp.log.level", 1)
    with pytest.raises(quackpipe.ClosedError):
        conf.dup()
    with quackpipe.Conf() as scoped:
        scoped.set("qp.log.level", 2)
    with pytest.raises(quackpipe.ClosedError):
        scoped.get("qp.log.level")


def test_log_callback_must_be_callable():
    conf = quackpipe.Conf()
    with pytest.raises(TypeError):
        conf.set_log_cb(42)
    conf.set_log_cb(lambda level, module, message: None)
    conf.set_log_cb(None)


def test_properties_markdown_lists_the_library_properties():
    text = quackpipe.properties_markdown()
    assert text.startswith("# Configuration properties")
    assert "`qp.log.level`" in text or "qp.log.level" in text


def test_wrong_argument_types_raise_type_error():
    conf = quackpipe.Conf()
    with pytest.raises(TypeError):
        capi.qp_conf_set(conf._h, 1, "x")
    with pytest.raises(TypeError):
        capi.qp_conf_get("not a conf", "qp.log.level")
