"""Iterative editing in one session with the Python client: open an image, inpaint, class edit,
undo, outpaint, export to a file.

    .venv/bin/python Examples/python/iterative_edits.py [--model DIR] [--binary PATH] [--out DIR]

The server is --binary, else $MASKGIT_RPC, else maskgit-rpc on PATH, else this checkout's
.build/release/maskgit-rpc (swift build -c release --product maskgit-rpc); the model is --model,
else the default model (Models/default or $MASKGIT_MODEL).
"""
import argparse
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
try:
    import maskgit_rpc
except ImportError:  # not installed: use the checkout's client
    sys.path.insert(0, str(REPO / "Clients" / "python"))
    import maskgit_rpc

from maskgit_rpc import Client, NoRevision


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a model directory (default: the server's default model)")
    parser.add_argument("--binary", help="the maskgit-rpc executable")
    parser.add_argument("--image", default=str(REPO / "Examples" / "images" / "cat.png"))
    parser.add_argument("--out", default=str(REPO / "Examples" / "out"), help="where to write the results")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with Client(args.binary, model_dir=args.model, args=["--quiet"]) as client:
        model = client.models()[0]
        print(f"model {model['name']}: {model['nativeSize']} px, {model['numClasses']} classes")
        # Classes by name, from the model itself (emoji groups for the default model).
        first, second = model["classes"][1], model["classes"][2]

        session = client.open_session(args.image)  # closed at the end (or use `with ... as session`)
        width, height = session.size
        print(f"opened {session.id}: {width}x{height}, {session.summary['tokens']['known']} tokens")

        def show(event):
            print(f"\r  {event.message} ({event.progress:.0f}/{event.total:.0f})", end="", flush=True)

        # 1. Regenerate the top-left quarter (rectangles, or a mask image / PIL image).
        result = session.inpaint([(0, 0, width // 2, height // 2)], class_=first, seed=1, progress=show)
        print(f"\ninpaint: revision {session.revision}, seed {result['seed']}")
        result.image.save(out / "iterative-1-inpaint.png")

        # 2. Turn the bottom-right quarter into another class (the official class edit).
        session.class_edit(second, rect=(width // 2, height // 2, width // 2, height // 2), seed=2,
                           output={"transport": "none"})
        print(f"classEdit: revision {session.revision}")

        # 3. Changed our mind: undo the class edit (redo would bring it back).
        session.undo()
        print(f"undo: revision {session.revision}, can redo: {session.summary['canRedo']}")

        # 4. Extend the canvas to the right; the cached tokens of the image are reused.
        result = session.outpaint(right=width // 2, class_=first, seed=3, output={"transport": "none"})
        print(f"outpaint: {result['width']}x{result['height']} in {len(result['windows'])} windows")

        # 5. Export the current revision (written here, atomically) and close.
        image = session.export(out / "iterative-final.png")
        print(f"exported {image.size[0]}x{image.size[1]} to {out / 'iterative-final.png'}")
        try:
            while True:
                session.undo()
        except NoRevision:
            print(f"undo history: back at revision {session.revision}")
        session.close()


if __name__ == "__main__":
    main()
