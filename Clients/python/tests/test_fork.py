"""session.fork and session.open reuse_tokens through the Python client, on the real server with
the tiny model: a fork keeps the edited revision's tokens, and reopening a result the server sent
starts from them (what an editor keeping each result as a layer does)."""
import numpy as np
import pytest
from PIL import Image

from conftest import IMAGES
from maskgit_rpc import NoRevision, Session

TINY = IMAGES / "tiny16.png"


def test_fork_keeps_the_revision_and_its_tokens(client):
    with client.open_session(TINY) as session:
        assert session.tokens_from is None and session.forked_from is None and session.tokens["known"] == 0
        result = session.inpaint([(8, 0, 8, 8)], class_=1, seed=4)
        known = session.tokens["known"]
        assert session.revision == 1 and known > 0
        with session.fork() as branch:
            assert isinstance(branch, Session) and branch.id != session.id
            assert branch.forked_from == {"session": session.id, "revision": 1}
            assert branch.revision == 0 and not branch.summary["canUndo"]
            assert branch.tokens == session.tokens          # same grid, nothing encoded again
            assert branch.export().tobytes() == result.image.tobytes()
            # Edits of the branch leave the original alone, and compute what the original would.
            on_branch = branch.inpaint([(0, 8, 8, 8)], class_=2, seed=9)
            on_original = session.inpaint([(0, 8, 8, 8)], class_=2, seed=9)
            assert on_branch.image_bytes == on_original.image_bytes
            assert session.revision == 2 and branch.revision == 1
        with session.fork(revision=0) as source:
            assert source.forked_from == {"session": session.id, "revision": 0}
            assert np.array_equal(source.array(), np.asarray(Image.open(TINY).convert("RGB")))
        with pytest.raises(NoRevision):
            session.fork(revision=7)


def test_reopening_a_result_reuses_its_tokens(client):
    with client.open_session(TINY) as session:
        first = session.inpaint([(8, 0, 8, 8)], class_=1, seed=4)
        known = session.tokens["known"]
        with session.fork() as kept:
            # The source moves on: the undo and a new edit drop revision 1 from its history, so the
            # fork is the only open revision holding the first result.
            session.undo()
            session.inpaint([(0, 8, 8, 8)], class_=3, seed=5)
            assert not session.summary["canRedo"]

            with client.open_session(first.image, reuse_tokens=True) as reopened:
                assert reopened.tokens_from == {"session": kept.id, "revision": 0, "known": known}
                assert reopened.tokens["known"] == known
                # Continuing from the adopted grid computes what continuing the fork does.
                a = reopened.inpaint([(0, 0, 8, 8)], class_=2, seed=6)
                b = kept.inpaint([(0, 0, 8, 8)], class_=2, seed=6)
                assert a.image_bytes == b.image_bytes

            # Alpha is not tokenized: an RGBA copy of the result matches too.
            rgba = first.image.convert("RGBA")
            with client.open_session(rgba, reuse_tokens=True) as with_alpha:
                assert with_alpha.tokens_from is not None and with_alpha.tokens_from["known"] == known

        # Without reuse_tokens (the default), or once no open revision has those pixels, a
        # session starts empty.
        with client.open_session(first.image) as plain:
            assert plain.tokens_from is None and plain.tokens["known"] == 0
        with client.open_session(first.image, reuse_tokens=True) as unmatched:
            assert unmatched.tokens_from is None and unmatched.tokens["known"] == 0


def test_reuse_tokens_goes_on_the_wire_as_reuseTokens(client):
    sent = []
    original = client._send

    def spy(message):
        sent.append(message)
        original(message)

    client._send = spy
    with client.open_session(TINY, reuse_tokens=True):
        pass
    assert sent[0]["method"] == "session.open" and sent[0]["params"]["reuseTokens"] is True
    sent.clear()
    with client.open_session(TINY):
        pass
    assert "reuseTokens" not in sent[0]["params"]
