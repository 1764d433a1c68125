// Yosys techmap rule used by axhdl.synth.algebraic: every $alu cell becomes a ripple-carry
// adder of explicit XOR/AND/OR gates, one full adder per bit, so that backward rewriting
// finds its adder cells (the default rule builds a Brent-Kung carry network).
(* techmap_celltype = "$alu" *)
module _axhdl_ripple_alu (A, B, CI, BI, X, Y, CO);
  parameter A_SIGNED = 0;
  parameter B_SIGNED = 0;
  parameter A_WIDTH = 1;
  parameter B_WIDTH = 1;
  parameter Y_WIDTH = 1;
  (* force_downto *) input [A_WIDTH-1:0] A;
  (* force_downto *) input [B_WIDTH-1:0] B;
  input CI, BI;
  (* force_downto *) output [Y_WIDTH-1:0] X, Y, CO;
  (* force_downto *) wire [Y_WIDTH-1:0] AA, BX, BB;
  \$pos #(.A_SIGNED(A_SIGNED), .A_WIDTH(A_WIDTH), .Y_WIDTH(Y_WIDTH)) a_ext (.A(A), .Y(AA));
  \$pos #(.A_SIGNED(B_SIGNED), .A_WIDTH(B_WIDTH), .Y_WIDTH(Y_WIDTH)) b_ext (.A(B), .Y(BX));
  assign BB = BX ^ {Y_WIDTH{BI}};
  assign X = AA ^ BB;
  genvar i;
  generate for (i = 0; i < Y_WIDTH; i = i + 1) begin : bit_
    wire cin;
    if (i == 0) begin : first
      assign cin = CI;
    end else begin : next
      assign cin = CO[i-1];
    end
    assign Y[i] = X[i] ^ cin;
    assign CO[i] = (AA[i] & BB[i]) | (X[i] & cin);
  end endgenerate
endmodule
