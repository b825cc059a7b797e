; Script-Fu helpers for the MaskGIT plug-in tests. `test-dir` is defined by the caller (-b);
; inputs are read from test-dir/in, results written to test-dir/out, facts appended to
; test-dir/out/facts.txt as one "KEY value..." line each (read by test_gimp.py).

(define facts #f)   ; opened by the caller
(define (fact . items)
  (for-each (lambda (x) (display x facts) (display " " facts)) items)
  (newline facts))
(define (in name) (string-append test-dir "/in/" name))
(define (out name) (string-append test-dir "/out/" name))
(define (load-image name) (car (gimp-file-load RUN-NONINTERACTIVE (in name) (in name))))
(define (save-drawable img drw name)
  (file-png-save2 RUN-NONINTERACTIVE img drw (out name) (out name) 0 1 0 0 0 0 0 0 1))
; Layer facts: name, offsets, size, position in the stack, number of layers; the parasite on its
; own line (JSON).
(define (layer-facts tag img layer)
  (let ((off (gimp-drawable-offsets layer)))
    (fact tag "name" (car (gimp-item-get-name layer)))
    (fact tag "geometry" (car off) (cadr off) (car (gimp-drawable-width layer)) (car (gimp-drawable-height layer)))
    (fact tag "position" (car (gimp-image-get-item-position img layer)) (car (gimp-image-get-layers img)))
    (fact tag "canvas" (car (gimp-image-width img)) (car (gimp-image-height img)))
    (if (member "maskgit-params" (cadr (gimp-item-get-parasite-list layer)))
        (fact tag "parasite" (caddr (car (gimp-item-get-parasite layer "maskgit-params")))))))
(define (status tag)
  (let ((s (plug-in-maskgit-status RUN-NONINTERACTIVE)))
    (fact tag "pid" (car s) "starts" (cadr s) "opened" (caddr s) "reused" (cadddr s)
          "edits" (list-ref s 4) "forked" (list-ref s 6) "adopted" (list-ref s 7) "known" (list-ref s 8))))
; Runs thunk; on a PDB error records it (the message goes to GIMP's stderr).
(define (expect-error tag thunk)
  (if (catch #f (begin (thunk) #t))
      (fact tag "no-error")
      (fact tag "error")))
